import type { ComponentChildren } from "preact";
import { useEffect, useRef } from "preact/hooks";

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

/** One opened item (an audit row, an event): a labelled region that takes the focus when it opens, with Close. */
export function DetailPanel(props: {
  label: string;
  title: ComponentChildren;
  onClose: () => void;
  children: ComponentChildren;
}) {
  const ref = useRef<HTMLElement>(null);
  // Opening an item moves focus to it, so the keyboard continues there.
  useEffect(() => {
    ref.current?.focus();
  }, [props.label]);
  return (
    <section class="panel detail" aria-label={props.label} ref={ref} tabIndex={-1}>
      <h2>{props.title}</h2>
      <dl>{props.children}</dl>
      <button type="button" onClick={props.onClose}>
        Close
      </button>
    </section>
  );
}
