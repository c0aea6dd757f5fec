// Progressive enhancement of the public forms; they work the same without it. It puts the focus on
// the field to fix, picks the visitor's own time zone for a demo slot, holds a step that is sent
// faster than the server accepts (instead of having it come back), and ignores a second click while
// a step is on its way.
(function () {
  'use strict'
  var form = document.querySelector('form.lead-form__form')
  if (!form) return

  // A step that comes back with an error puts the focus on the field to fix. The page marks it with
  // autofocus, which browsers may skip (a page loaded in the background, say); this makes it sure.
  var fix = form.querySelector('[autofocus]')
  if (fix && (!document.activeElement || document.activeElement === document.body)) fix.focus()

  var zone = form.querySelector('select[name="timeZone"]')
  if (zone && zone.getAttribute('data-default') === 'true') {
    try {
      var own = Intl.DateTimeFormat().resolvedOptions().timeZone
      if (own && zone.querySelector('option[value="' + own.replace(/"/g, '') + '"]')) zone.value = own
    } catch (error) {
      // An old browser without Intl time zones keeps the instance's zone.
    }
  }

  var shownAt = Date.now()
  var minMs = Number(form.getAttribute('data-min-ms')) || 0
  var sending = false

  form.addEventListener('submit', function (event) {
    var submitter = event.submitter
    if (sending) {
      event.preventDefault()
      return
    }
    var wait = minMs - (Date.now() - shownAt)
    var back = submitter && submitter.value === 'back'
    if (back || wait <= 0) {
      sending = true
      if (submitter) submitter.setAttribute('aria-disabled', 'true')
      return
    }
    event.preventDefault()
    sending = true
    if (submitter) {
      submitter.setAttribute('aria-disabled', 'true')
      submitter.textContent = form.getAttribute('data-sending') || submitter.textContent
    }
    setTimeout(function () {
      // requestSubmit with the same button keeps its name and value (go=next) in what is sent.
      sending = false
      if (typeof form.requestSubmit === 'function') form.requestSubmit(submitter || undefined)
      else form.submit()
    }, wait + 50)
  })
})()
