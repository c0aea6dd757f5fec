// Share pages, enhanced: a live character count while writing, and copy buttons. Without this
// script the count is shown as of loading and the fields can be copied by hand.
(() => {
  const graphemes = new Intl.Segmenter(undefined, { granularity: 'grapheme' })
  // As lib/networks.ts counts: X weighs CJK and emoji as 2 (twitter-text's ranges), the others count graphemes.
  const single = [[0, 4351], [8192, 8205], [8208, 8223], [8242, 8247]]
  const lengthOf = (network, value) => {
    if (network !== 'x') return [...graphemes.segment(value)].length
    let weight = 0
    for (const { segment } of graphemes.segment(value.normalize('NFC'))) {
      if (/\p{Extended_Pictographic}/u.test(segment)) weight += 2
      else for (const char of segment) weight += single.some(([from, to]) => char.codePointAt(0) >= from && char.codePointAt(0) <= to) ? 1 : 2
    }
    return weight
  }
  const form = document.querySelector('form[data-limit]')
  const text = form?.querySelector('textarea[name="text"]')
  const used = form?.querySelector('.compose__used')
  if (form && text && used && form.dataset.limit) {
    const network = form.dataset.network
    const base = Number(used.textContent) - lengthOf(network, text.value.trim())
    const limit = Number(form.dataset.limit)
    const update = () => {
      const count = base + lengthOf(network, text.value.trim())
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
