import { JobRecord, ScheduleRecord } from '../jobs/job.entity.js'
import { MailRecord } from '../mail/mail.entity.js'
import { RateCounter } from '../web/rate-limit.js'
import { SessionRecord } from './session.entity.js'
import { PluginSwitch } from '../host/switches.js'

/** The tables core itself owns; its migrations live in the top-level migrations/ folder. */
export const coreEntities = [SessionRecord, JobRecord, ScheduleRecord, MailRecord, RateCounter, PluginSwitch]
