/**
 * Plain-text tables and target checks. Every workload returns its tables and
 * targets in these shapes; run.ts prints them and writes the JSON.
 */

export type Cell = string | number | undefined;

export interface Table {
  title: string;
  headers: string[];
  rows: Cell[][];
  /** Printed under the table: how it was measured, caveats. */
  notes?: string[];
}

export interface TargetCheck {
  target: string;
  required: string;
  measured: string;
  met: boolean;
  /** What to look at when it is missed. */
  detail?: string;
}

export interface WorkloadResult {
  name: string;
  tables: Table[];
  targets: TargetCheck[];
  /** Everything measured, for the JSON file. */
  data: unknown;
}

/** Numbers with a sensible number of digits for their size. */
export function fmt(value: number | undefined, digits?: number): string {
  if (value === undefined || Number.isNaN(value)) return '-';
  if (digits !== undefined) return value.toFixed(digits);
  const abs = Math.abs(value);
  if (abs >= 1000) return Math.round(value).toLocaleString('en-US');
  if (abs >= 100) return value.toFixed(0);
  if (abs >= 10) return value.toFixed(1);
  return value.toFixed(2);
}

export const ratio = (a: number, b: number): string => (b > 0 ? `${(a / b).toFixed(2)}x` : '-');

export function renderTable(table: Table): string {
  const cells = table.rows.map((row) => row.map((c) => (typeof c === 'number' ? fmt(c) : (c ?? '-'))));
  const widths = table.headers.map((h, i) => Math.max(h.length, ...cells.map((r) => (r[i] ?? '').length)));
  // First column left-aligned (labels), the rest right-aligned (numbers).
  const line = (row: string[]) =>
    row.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');
  const out = [`\n${table.title}`, line(table.headers), widths.map((w) => '-'.repeat(w)).join('  ')];
  out.push(...cells.map(line));
  for (const note of table.notes ?? []) out.push(`  * ${note}`);
  return out.join('\n');
}

export function targetsTable(targets: TargetCheck[]): Table {
  return {
    title: 'Targets',
    headers: ['target', 'required', 'measured', 'result'],
    rows: targets.map((t) => [t.target, t.required, t.measured, t.met ? 'met' : 'MISSED']),
    notes: targets.filter((t) => !t.met && t.detail).map((t) => `MISSED ${t.target}: ${t.detail}`),
  };
}

export function check(target: string, required: string, measured: string, met: boolean, detail?: string): TargetCheck {
  return { target, required, measured, met, ...(met || !detail ? {} : { detail }) };
}
