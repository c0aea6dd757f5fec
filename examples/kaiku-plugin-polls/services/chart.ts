const escapeXml = (text: string) =>
  text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!)

/**
 * A horizontal bar chart as SVG markup, self-contained (no script, no external font or style), so
 * it can be inlined in a page under a strict CSP or served as `image/svg+xml`. Labels are escaped.
 */
export function barChart(bars: { label: string; count: number }[], title: string): string {
  const width = 560
  const row = 34
  const labelWidth = 200
  const height = Math.max(1, bars.length) * row + 16
  const max = Math.max(1, ...bars.map((bar) => bar.count))
  const rows = bars
    .map((bar, i) => {
      const y = 8 + i * row
      const length = Math.round(((width - labelWidth - 60) * bar.count) / max)
      const label = escapeXml(bar.label.length > 28 ? `${bar.label.slice(0, 27)}…` : bar.label)
      return (
        `<text x="${labelWidth - 8}" y="${y + 20}" text-anchor="end" font-size="13">${label}</text>` +
        `<rect x="${labelWidth}" y="${y + 6}" width="${length}" height="20" rx="3" fill="currentColor" opacity="0.75"/>` +
        `<text x="${labelWidth + length + 6}" y="${y + 20}" font-size="13">${bar.count}</text>`
      )
    })
    .join('')
  return `<svg xmlns="http://www.w3.org/2000/svg" class="polls-chart" role="img" aria-label="${escapeXml(title)}" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" font-family="system-ui, sans-serif"><title>${escapeXml(title)}</title>${rows}</svg>`
}
