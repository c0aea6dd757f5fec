/** Why Kaiku could not fetch a link, an image or a feed; keys are used as `feeds.fetch.<reason>`. */
export default {
  'fetch.url': 'This is not a valid web address.',
  'fetch.scheme': 'Only web addresses that start with http:// or https:// can be fetched.',
  'fetch.address': 'This address leads into a private network, which Kaiku does not fetch from.',
  'fetch.dns': 'No site was found at this address.',
  'fetch.unreachable': 'The site could not be reached.',
  'fetch.timeout': 'The site took too long to answer.',
  'fetch.tooLarge': 'The page is too large to fetch.',
  'fetch.redirects': 'The address redirects too many times, or in a circle.',
  'fetch.status': 'The site answered with an error (HTTP {status}).',
  'fetch.encoding': 'The site sent its content in a form Kaiku cannot read.',
  'fetch.notPage': 'This address is not a web page (perhaps a PDF or an image): fill in the title yourself.',
  'fetch.notImage': 'The image is not a picture Kaiku can use (JPEG, PNG, WebP, GIF or AVIF; SVG is not accepted).'
}
