// Share pages, enhanced: a live character count while writing, and copy buttons. Without this
// script the count is shown as of loading and the fields can be copied by hand.
(() => {
  const form = document.querySelector('form[data-limit]')
  const text = form?.querySelector('textarea[name="text"]')
  const used = form?.querySelector('.compose__used')
  if (form && text && used && form.dataset.limit) {
    const base = Number(used.textContent) - [...new Intl.Segmenter(undefined, { granularity: 'grapheme' }).segment(text.value.trim())].length
    const limit = Number(form.dataset.limit)
    const update = () => {
      const count = base + [...new Intl.Segmenter(undefined, { granularity: 'grapheme' }).segment(text.value.trim())].length
      used.textContent = String(count)
      used.parentElement.classList.toggle('compose__count--over', count > limit)
    }
    text.addEventListener('input', update)
  }
  for (const button of document.querySelectorAll('[data-copy]')) {
    const field = document.querySelector(button.dataset.copy)
    if (!field || !navigator.clipboard) continue
    button.hidden = false
    button.addEventListener('click', async () => {
      await navigator.clipboard.writeText(field.value)
      button.textContent = '✓'
    })
  }
})()
