import { Type, type Static } from '../../core/api.js'

/** The forms plugin's settings; the platform's (bare host) forms are configured here, instances at /admin/leads/settings. */
export const formsConfig = Type.Object({
  recipients: Type.String({
    default: '',
    maxLength: 2000,
    env: 'KAIKU_FORMS_RECIPIENTS',
    description: "Addresses (separated by commas) told about each lead of the platform's own forms, those on the bare host; each instance sets its own."
  }),
  confirmation: Type.Boolean({
    default: true,
    env: 'KAIKU_FORMS_CONFIRMATION',
    description: "Send visitors of the platform's forms a confirmation mail; each instance chooses for its own."
  }),
  privacyNotice: Type.String({
    default: '',
    maxLength: 500,
    env: 'KAIKU_FORMS_PRIVACY_NOTICE',
    description: "The short privacy notice under the platform's forms (a link to /privacy follows it); empty: a built-in text naming the retention."
  }),
  retentionDays: Type.Integer({
    default: 180,
    minimum: 1,
    maximum: 3650,
    env: 'KAIKU_FORMS_RETENTION_DAYS',
    description: "Days a lead is kept before it is deleted, on the platform and in instances that have not chosen their own."
  }),
  minSeconds: Type.Integer({
    default: 2,
    minimum: 0,
    maximum: 60,
    env: 'KAIKU_FORMS_MIN_SECONDS',
    description: 'Seconds a form step must be on screen before it is accepted; faster is taken for a bot (the step comes back, answers kept).'
  }),
  submissionsPerHour: Type.Integer({
    default: 30,
    minimum: 1,
    maximum: 10000,
    env: 'KAIKU_FORMS_SUBMISSIONS_PER_HOUR',
    description: 'Form steps one address may send per hour, across every form and instance.'
  })
})

export type FormsConfig = Static<typeof formsConfig>
