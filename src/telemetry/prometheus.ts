/**
 * Renders the instruments of `instruments.ts` in the Prometheus text
 * exposition format (version 0.0.4), for `GET /metrics`.
 *
 * @module
 */

import { telemetry } from "./instruments.ts";
import { Counter, Gauge, Histogram, type Labels } from "./registry.ts";

/** The `Content-Type` of the Prometheus text format. */
export const PROMETHEUS_CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

const UNIT_SUFFIX: Record<string, string> = { ms: "milliseconds", s: "seconds", By: "bytes" };

function metricName(name: string, unit: string): string {
  const base = name.replace(/[^a-zA-Z0-9_:]/g, "_");
  const suffix = UNIT_SUFFIX[unit];
  return suffix === undefined || base.endsWith(`_${suffix}`) || base.endsWith("_seconds")
    ? base
    : `${base}_${suffix}`;
}

function labelText(labels: Labels, extra?: [string, string]): string {
  const pairs = Object.entries(labels);
  if (extra !== undefined) pairs.push(extra);
  if (pairs.length === 0) return "";
  const escape = (v: string) => v.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n");
  return `{${
    pairs.map(([k, v]) => `${k.replace(/[^a-zA-Z0-9_]/g, "_")}="${escape(v)}"`).join(",")
  }}`;
}

function number(value: number): string {
  return Number.isFinite(value) ? String(value) : value > 0 ? "+Inf" : "-Inf";
}

/**
 * Every stemedb instrument as Prometheus text: counters as `<name>_total`,
 * histograms as cumulative `_bucket{le=…}`, `_sum` and `_count`, gauges as
 * their current value. Dots become underscores; units in ms, s and bytes
 * become suffixes.
 *
 * @example Scrape in-process
 * ```ts
 * import { renderPrometheus, telemetry } from "@stemedb/ingest/telemetry";
 *
 * telemetry.ingestConflicts.add(1);
 * console.log(renderPrometheus().includes("stemedb_ingest_conflicts_total")); // true
 * ```
 */
export function renderPrometheus(): string {
  const lines: string[] = [];
  for (const instrument of Object.values(telemetry)) {
    const name = metricName(instrument.name, instrument.unit);
    if (instrument instanceof Counter) {
      lines.push(`# HELP ${name}_total ${instrument.description}`, `# TYPE ${name}_total counter`);
      for (const s of instrument.series()) {
        lines.push(`${name}_total${labelText(s.labels)} ${number(s.value)}`);
      }
    } else if (instrument instanceof Histogram) {
      lines.push(`# HELP ${name} ${instrument.description}`, `# TYPE ${name} histogram`);
      for (const s of instrument.series()) {
        let cumulative = 0;
        instrument.bounds.forEach((bound, i) => {
          cumulative += s.value.counts[i];
          lines.push(`${name}_bucket${labelText(s.labels, ["le", number(bound)])} ${cumulative}`);
        });
        lines.push(`${name}_bucket${labelText(s.labels, ["le", "+Inf"])} ${s.value.count}`);
        lines.push(`${name}_sum${labelText(s.labels)} ${number(s.value.sum)}`);
        lines.push(`${name}_count${labelText(s.labels)} ${s.value.count}`);
      }
    } else if (instrument instanceof Gauge) {
      lines.push(`# HELP ${name} ${instrument.description}`, `# TYPE ${name} gauge`);
      for (const s of instrument.series()) {
        lines.push(`${name}${labelText(s.labels)} ${number(s.value)}`);
      }
    }
  }
  return lines.join("\n") + "\n";
}
