// The post editor, enhanced: pasting a link fills the empty title and summary and shows the image,
// through /posts/preview. Without this script the "Fetch preview" button does the same.
(() => {
  const form = document.querySelector('form[data-preview]')
  if (!form) return
  const url = form.querySelector('input[name="url"]')
  const status = form.querySelector('.preview-status')
  const imageBox = form.querySelector('.preview-image')
  let last = ''
  const fill = (name, value) => {
    const field = form.querySelector(`[name="${name}"]`)
    if (field && !field.value.trim() && value) field.value = value
  }
  async function preview() {
    const value = url.value.trim()
    if (!/^https?:\/\/\S+$/i.test(value) || value === last) return
    last = value
    status.textContent = form.dataset.loading || 'Fetching the page…'
    const body = new URLSearchParams({ url: value, _csrf: form.querySelector('input[name="_csrf"]').value })
    try {
      const response = await fetch(form.dataset.preview, { method: 'POST', body, headers: { accept: 'application/json' }, credentials: 'same-origin' })
      const data = await response.json()
      if (!response.ok) {
        status.textContent = data.error || data.message || ''
        return
      }
      fill('title', data.title)
      fill('summary', data.summary)
      form.querySelector('input[name="imageId"]').value = data.imageId || ''
      imageBox.replaceChildren()
      if (data.imageUrl) {
        const image = document.createElement('img')
        image.src = data.imageUrl
        image.alt = ''
        imageBox.append(image)
      }
      imageBox.hidden = !data.imageUrl
      status.textContent = form.dataset.filled || ''
    } catch {
      status.textContent = ''
      last = ''
    }
  }
  url.addEventListener('paste', () => setTimeout(preview, 0))
  url.addEventListener('change', preview)
})()
