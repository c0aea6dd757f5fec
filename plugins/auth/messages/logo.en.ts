/** Messages of the instance logo (on the settings page); keys are used as `auth.<key>`. */
export default {
  'logo.heading': 'Logo',
  'logo.lead': 'Shown at the top of every page of your instance instead of the Kaiku mark.',
  'logo.current': 'Current logo',
  'logo.none': 'No logo yet: pages show the Kaiku mark.',
  'logo.file': 'Logo file',
  'logo.fileHint': 'A PNG, JPEG or WebP image of at most 200 kB, ideally square. SVG is not accepted.',
  'logo.submit': 'Upload logo',
  'logo.remove': 'Remove logo',
  'logo.saved': 'Logo saved.',
  'logo.removed': 'Logo removed; pages show the Kaiku mark again.',
  'logo.missing': 'Choose an image file to upload.',
  'logo.tooLarge': 'This file is larger than 200 kB; choose a smaller image.',
  'logo.badType': 'This file is not a PNG, JPEG or WebP image (SVG is not accepted); choose another file.'
}
