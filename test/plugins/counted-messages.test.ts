import t from 'tap'
import { MessageCatalogue } from '../../core/web/i18n.js'
import { uiMessages as analytics } from '../../plugins/analytics/ui/messages.en.js'
import invitations from '../../plugins/auth/messages/invitations.en.js'
import sources from '../../plugins/feeds/messages/sources.en.js'
import formsAdmin from '../../plugins/forms/messages/admin.en.js'
import forms from '../../plugins/forms/messages/en.js'
import notifications from '../../plugins/notifications/messages/en.js'
import privacy from '../../plugins/privacy/messages/en.js'

// The built-in plugins' English messages that say how many of something there are: one of them is
// said in the singular ("1 click", "a day"), any other number in the plural.
const messages = new MessageCatalogue('en')
messages.add('en', analytics, 'analytics')
messages.add('en', invitations, 'auth')
messages.add('en', sources, 'feeds')
messages.add('en', { ...forms, ...formsAdmin }, 'forms')
messages.add('en', notifications, 'notifications')
messages.add('en', privacy, 'privacy')
const say = (key: string, params: Record<string, unknown>) => messages.t('en', key, params)

t.test('the weekly impact mail counts one share and one click in the singular', async (t) => {
  t.equal(say('notifications.mail.impact.subject', { shares: 1, clicks: 1 }), 'Your impact last week: 1 share, 1 click')
  t.equal(say('notifications.mail.impact.subject', { shares: 2, clicks: 1250 }), 'Your impact last week: 2 shares, 1,250 clicks')
})

t.test('analytics: one point, one share with a known audience, a one-day range', async (t) => {
  t.equal(say('analytics.leaderboard.mine', { rank: 3, points: '1' }), 'You are number 3 with 1 point.', 'the page passes the number as it writes it')
  t.equal(say('analytics.leaderboard.mine', { rank: 3, points: '1,250' }), 'You are number 3 with 1,250 points.')
  t.match(say('analytics.metric.reachNote', { shares: '1', total: '1' }), /: 1 of 1 share, times/)
  t.match(say('analytics.metric.reachNote', { shares: '1', total: '4' }), /: 1 of 4 shares, times/)
  t.equal(say('analytics.trend.up', { percent: 50, days: 1 }), '▲ 50% vs the previous day')
  t.equal(say('analytics.trend.down', { percent: 50, days: 30 }), '▼ 50% vs the previous 30 days')
  t.equal(say('analytics.trend.flat', { days: 1 }), 'Same as the previous day')
  t.equal(say('analytics.trend.new', { days: 7 }), 'New: none in the previous 7 days')
  t.equal(say('analytics.range.last', { days: 1 }), 'Last day')
  t.equal(say('analytics.range.last', { days: 90 }), 'Last 90 days')
})

t.test('settings and limits that may be set to one', async (t) => {
  t.equal(say('feeds.sources.everyMinutes', { minutes: 1 }), 'Every minute')
  t.equal(say('feeds.sources.everyMinutes', { minutes: 45 }), 'Every 45 minutes')
  t.equal(say('privacy.where.mailLog', { days: 1 }), 'Mail log: a day.')
  t.equal(say('privacy.where.auditLog', { days: 365 }), 'Operator access log: 365 days.')
  t.equal(say('privacy.where.exports', { hours: 1 }), 'Data exports: an hour, or until downloaded.')
  t.equal(say('privacy.where.exports', { hours: 48 }), 'Data exports: 48 hours, or until downloaded.')
  t.match(say('forms.settings.retentionHint', { days: 1 }), /Empty: a day, the platform default\./)
  t.equal(say('forms.error.tooFar', { days: 1 }), 'Pick a time within the next day.')
  t.match(say('auth.invitations.limited', { addresses: 'a@x.example', max: 1 }), /you can send one invitation an hour\./)
  t.match(say('auth.invitations.limited', { addresses: 'a@x.example', max: 200 }), /you can send 200 invitations an hour\./)
})
