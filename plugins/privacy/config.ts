import { Type } from '../../core/api.js'

const days = (env: string, fallback: number, description: string) =>
  Type.Integer({ default: fallback, minimum: 1, maximum: 3650, env: `KAIKU_PRIVACY_${env}`, description })

/** The privacy plugin's settings: retention per category and how long an export's link lives. */
export const privacyConfig = Type.Object({
  mailLogDays: days('MAIL_LOG_DAYS', 90, 'Days sent (and failed) mail stays in the mail log before the daily retention job deletes it.'),
  auditLogDays: days('AUDIT_LOG_DAYS', 365, "Days an operator's look into an instance stays in its audit log."),
  exportHours: Type.Integer({
    default: 48,
    minimum: 1,
    maximum: 720,
    env: 'KAIKU_PRIVACY_EXPORT_HOURS',
    description: "Hours a member's data export can be downloaded (once) before it is deleted."
  }),
  dataLocation: Type.String({
    default: '',
    maxLength: 300,
    env: 'KAIKU_PRIVACY_DATA_LOCATION',
    description: 'Where the server and its database run, in words, for the privacy policy (e.g. "our own servers in Helsinki, Finland"); empty: "the servers of the company that runs this Kaiku".'
  })
})

export type PrivacyConfig = { mailLogDays: number; auditLogDays: number; exportHours: number; dataLocation: string }
