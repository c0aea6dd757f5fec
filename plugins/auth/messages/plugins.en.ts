/** The `/admin/plugins` page. */
export default {
  'nav.plugins': 'Plugins',
  'plugins.title': 'Plugins',
  'plugins.lead': 'Optional features of this server. Switching one off hides it for your instance; its data is kept and comes back when you switch it on again.',
  'plugins.name': 'Plugin',
  'plugins.state': 'State',
  'plugins.on': 'On',
  'plugins.off': 'Off',
  'plugins.switchOn': 'Switch on',
  'plugins.switchOff': 'Switch off',
  'plugins.failed': 'Disabled: {reason}',
  'plugins.none': 'This server runs no optional plugins.',
  'plugins.switchedOn': '{name} is on for your instance.',
  'plugins.switchedOff': '{name} is off for your instance.'
}
