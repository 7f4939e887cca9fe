import { useEffect, useRef } from "preact/hooks";
import uPlot from "uplot";
import "uplot/dist/uPlot.min.css";

/** A figure with at most two decimals, for legends and cards. */
export function round(value: number): number {
  return Math.round(value * 100) / 100;
}

/** One line of a chart. */
export interface Series {
  label: string;
  values: (number | null)[];
  color: string;
  /** Drawn dashed (e.g. p50 beside a solid p95 of the same colour). */
  dash?: boolean;
}

/** A time-series line chart (uPlot) that fills its container's width and redraws when its data changes. */
export function TimeChart(props: { title: string; times: number[]; series: Series[]; unit?: string }) {
  const host = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | null>(null);
  const { title, times, series, unit } = props;

  useEffect(() => {
    const element = host.current;
    if (!element) return;
    const width = () => Math.max(240, element.clientWidth);
    const options: uPlot.Options = {
      width: width(),
      height: 180,
      series: [
        {},
        ...series.map((s) => ({
          label: s.label,
          stroke: s.color,
          width: 2,
          ...(s.dash ? { dash: [6, 4] } : {}),
          spanGaps: false,
          // Points too, so a minute with calls between empty ones still shows.
          points: { show: true, size: 5 },
          value: (_u: uPlot, v: number | null) => (v === null ? "–" : `${round(v)}${unit ?? ""}`),
        })),
      ],
      axes: [{}, { size: 50 }],
      legend: { live: true },
    };
    const data = [times, ...series.map((s) => s.values)] as uPlot.AlignedData;
    plot.current?.destroy();
    plot.current = new uPlot(options, data, element);
    const resize = new ResizeObserver(() => plot.current?.setSize({ width: width(), height: 180 }));
    resize.observe(element);
    return () => {
      resize.disconnect();
      plot.current?.destroy();
      plot.current = null;
    };
  }, [times, series, unit]);

  return (
    <figure class="chart">
      <figcaption>{title}</figcaption>
      <div ref={host} role="img" aria-label={`${title}: line chart`} />
    </figure>
  );
}
