import { SessionRecord } from './session.entity.js'

/** The tables core itself owns; its migrations live in the top-level migrations/ folder. */
export const coreEntities = [SessionRecord]
