/**
 * Reads Prometheus's text format into { 'name{labels}': value }, enough to
 * compare two scrapes.
 */
export function parseMetrics(text: string): Record<string, number> {
  const series: Record<string, number> = {};
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const cut = line.lastIndexOf(' ');
    series[line.slice(0, cut)] = Number(line.slice(cut + 1));
  }
  return series;
}

/** A series name with its labels in the order prom-client prints them. */
export const series = (name: string, labels: Record<string, string> = {}) => {
  const parts = Object.entries(labels).map(([k, v]) => `${k}="${v}"`);
  return parts.length ? `${name}{${parts.join(',')}}` : name;
};
