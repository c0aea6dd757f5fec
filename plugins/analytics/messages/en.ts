export default {
  'activity.share': 'Shares',
  'activity.click': 'Clicks',
  'activity.unique_click': 'Unique clicks',
  'activity.bot_click': 'Bot clicks',
  'activity.email_open': 'Email opens',
  'activity.page_view': 'Page views',
  'activity.member_joined': 'Members joined',
  'activity.member_activated': 'Members activated',
  'activity.suggestion_approved': 'Suggestions approved'
} as Record<string, string>
