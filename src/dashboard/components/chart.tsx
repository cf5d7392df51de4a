import { useEffect, useRef } from 'preact/hooks';
import uPlot from 'uplot';

/** One line of a chart. */
export interface ChartSeries {
  label: string;
  values: (number | null)[];
  /** A CSS custom property holding the colour, so the chart follows the light or dark theme. */
  colorVar: string;
}

/** Props of a time chart. */
export interface TimeChartProps {
  title: string;
  /** Bucket starts, in seconds since the epoch. */
  times: number[];
  series: ChartSeries[];
  /** Formats a value on the axis and in the legend. */
  format?: (value: number) => string;
}

/** The colour a CSS custom property holds on the page. */
const cssColor = (name: string) => getComputedStyle(document.documentElement).getPropertyValue(name).trim() || 'gray';

/** A line chart of buckets over time (uPlot: small, canvas-drawn, no network). */
export function TimeChart(props: TimeChartProps) {
  const ref = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const element = ref.current;
    if (!element) return;
    const format = props.format ?? ((value: number) => String(value));
    const axis = { stroke: cssColor('--muted'), grid: { stroke: cssColor('--grid') }, ticks: { stroke: cssColor('--grid') } };
    const options: uPlot.Options = {
      width: Math.max(280, element.clientWidth),
      height: 200,
      scales: { x: { time: true } },
      axes: [axis, { ...axis, size: 70, values: (_u, values) => values.map((value) => (value === null ? '' : format(value))) }],
      series: [
        {},
        ...props.series.map((series) => ({
          label: series.label,
          stroke: cssColor(series.colorVar),
          width: 2,
          value: (_u: uPlot, value: number | null) => (value === null ? '—' : format(value)),
        })),
      ],
    };
    const plot = new uPlot(options, [props.times, ...props.series.map((series) => series.values)] as uPlot.AlignedData, element);
    const resize = new ResizeObserver(() => plot.setSize({ width: Math.max(280, element.clientWidth), height: 200 }));
    resize.observe(element);
    return () => {
      resize.disconnect();
      plot.destroy();
    };
  }, [props.times, props.series, props.title]);
  return (
    <figure class="chart">
      <figcaption>{props.title}</figcaption>
      <div ref={ref} role="img" aria-label={props.title} />
    </figure>
  );
}
