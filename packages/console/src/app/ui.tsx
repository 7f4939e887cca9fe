import type { ComponentChildren } from "preact";

/** A status message announced to screen readers; errors in red. */
export function Notice(props: { kind?: "error" | "info" | "ok"; children: ComponentChildren }) {
  if (!props.children) return null;
  const kind = props.kind ?? "info";
  return (
    <p class={`notice notice-${kind}`} role={kind === "error" ? "alert" : "status"}>
      {props.children}
    </p>
  );
}

/** A table that scrolls sideways on narrow screens instead of overflowing the page. */
export function Table(props: { caption: string; children: ComponentChildren }) {
  return (
    <div class="table-wrap">
      <table>
        <caption>{props.caption}</caption>
        {props.children}
      </table>
    </div>
  );
}

/** A state shown as a coloured badge (ready, degraded, failed, disabled…). */
export function StateBadge(props: { state: string }) {
  return <span class={`badge badge-${props.state.replace(/[^a-z_]/g, "")}`}>{props.state}</span>;
}
