// A broadcast's page, enhanced: its queued / sent / failed counts refresh every few seconds. Without
// this script, reloading the page shows the same counts.
(() => {
  const list = document.querySelector('[data-progress]')
  if (!list) return
  const refresh = async () => {
    try {
      const response = await fetch(list.dataset.progress, { headers: { accept: 'application/json' }, credentials: 'same-origin' })
      if (!response.ok) return
      const data = await response.json()
      for (const name of ['queued', 'sent', 'failed']) {
        const cell = list.querySelector(`[data-count="${name}"]`)
        if (cell) cell.textContent = String(data[name])
      }
      if (data.status === 'sent' && data.queued === 0) return
    } catch {}
    setTimeout(refresh, 3000)
  }
  setTimeout(refresh, 3000)
})()
