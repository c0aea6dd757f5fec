/** The tenancy plugin's English messages; keys are used as `tenancy.<key>`. */
export default {
  'suspended.title': 'Instance suspended',
  'suspended.heading': 'This company instance is suspended',
  'suspended.body': 'Signing in is not possible at the moment. Please contact the people who run Kaiku at your company.'
} satisfies Record<string, string>
