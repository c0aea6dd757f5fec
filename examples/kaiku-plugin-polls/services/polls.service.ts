import { createHmac, randomUUID } from 'node:crypto'
import { cleanText, ConflictError, type EntityManager, type FieldErrors } from 'kaiku/plugin-api'
import { Poll, PollAnswer, type PollEntity, type PollKind } from '../entities/poll.entity.js'

export const KINDS: readonly PollKind[] = ['single', 'multiple', 'text']
export const MAX_OPTIONS = 12

export interface PollInput {
  question: string
  kind: string
  options: string
  anonymous: boolean
  resultsPublic: boolean
  closesAt: Date | null
  postId: string | null
}

export const optionsOf = (poll: PollEntity): string[] => JSON.parse(poll.options) as string[]
export const isOpen = (poll: PollEntity, now = new Date()) => !poll.closesAt || poll.closesAt > now

/** Checks a new poll; returns its clean values or the errors by field (message keys). */
export function checkPoll(input: PollInput): { errors: FieldErrors; options: string[]; question: string } {
  const errors: FieldErrors = {}
  const question = cleanText(input.question, 300)
  if (question.error) errors.question = question.error
  else if (!question.value) errors.question = 'core.form.required'
  if (!KINDS.includes(input.kind as PollKind)) errors.kind = 'polls.form.kindInvalid'
  const options = input.options
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter(Boolean)
  if (input.kind !== 'text') {
    if (options.length < 2 || options.length > MAX_OPTIONS) errors.options = 'polls.form.optionsCount'
    else if (options.some((option) => cleanText(option, 120).error)) errors.options = 'polls.form.optionInvalid'
    else if (new Set(options).size !== options.length) errors.options = 'polls.form.optionsDistinct'
  }
  if (input.closesAt && input.closesAt <= new Date()) errors.closesAt = 'polls.form.closesPast'
  return { errors, options: input.kind === 'text' ? [] : options, question: question.value }
}

export async function createPoll(em: EntityManager, tenantId: string, createdBy: string, input: PollInput, clean: { options: string[]; question: string }) {
  const poll = em.create(Poll, {
    id: randomUUID(),
    tenantId,
    question: clean.question,
    kind: input.kind as PollKind,
    options: JSON.stringify(clean.options),
    anonymous: input.anonymous,
    resultsPublic: input.resultsPublic,
    closesAt: input.closesAt,
    postId: input.postId,
    createdBy,
    createdAt: new Date()
  })
  await em.flush()
  return poll
}

/** The voter key: the member id, or in an anonymous poll a keyed hash of member and poll. */
export const voterKey = (key: Buffer, poll: PollEntity, memberId: string) =>
  poll.anonymous ? createHmac('sha256', key).update(`${poll.id}\u0000${memberId}`).digest('hex') : memberId

export async function hasAnswered(em: EntityManager, key: Buffer, poll: PollEntity, memberId: string) {
  return (await em.count(PollAnswer, { pollId: poll.id, voter: voterKey(key, poll, memberId) })) > 0
}

/** Checks an answer against the poll; returns the chosen indexes and text, or a message key. */
export function checkAnswer(poll: PollEntity, choice: string | string[] | undefined, text: string | undefined): { choices: number[]; text: string | null } | { error: string } {
  if (poll.kind === 'text') {
    const cleaned = cleanText(text ?? '', 2000)
    if (cleaned.error) return { error: cleaned.error }
    if (!cleaned.value) return { error: 'polls.answer.empty' }
    return { choices: [], text: cleaned.value }
  }
  const picked = (Array.isArray(choice) ? choice : choice === undefined ? [] : [choice]).map(Number)
  const count = optionsOf(poll).length
  if (picked.length === 0) return { error: 'polls.answer.empty' }
  if (picked.some((i) => !Number.isInteger(i) || i < 0 || i >= count) || new Set(picked).size !== picked.length) return { error: 'polls.answer.invalid' }
  if (poll.kind === 'single' && picked.length !== 1) return { error: 'polls.answer.invalid' }
  return { choices: picked.sort((a, b) => a - b), text: null }
}

/** Stores one answer; a second one of the same member is a conflict (the unique voter key decides). */
export async function saveAnswer(em: EntityManager, key: Buffer, poll: PollEntity, memberId: string, answer: { choices: number[]; text: string | null }) {
  if (await hasAnswered(em, key, poll, memberId)) throw new ConflictError()
  em.create(PollAnswer, {
    id: randomUUID(),
    tenantId: poll.tenantId,
    pollId: poll.id,
    voter: voterKey(key, poll, memberId),
    memberId: poll.anonymous ? null : memberId,
    choices: JSON.stringify(answer.choices),
    text: answer.text,
    createdAt: new Date()
  })
  await em.flush()
}

export interface Tally {
  total: number
  bars: { label: string; count: number }[]
  texts: { text: string; memberId: string | null }[]
}

export async function tally(em: EntityManager, poll: PollEntity): Promise<Tally> {
  const answers = await em.find(PollAnswer, { pollId: poll.id }, { orderBy: { createdAt: 'asc' } })
  const options = optionsOf(poll)
  const counts = options.map(() => 0)
  for (const answer of answers) for (const index of JSON.parse(answer.choices) as number[]) if (index < counts.length) counts[index] += 1
  return {
    total: answers.length,
    bars: options.map((label, i) => ({ label, count: counts[i] })),
    texts: poll.kind === 'text' ? answers.map((answer) => ({ text: answer.text ?? '', memberId: answer.memberId ?? null })) : []
  }
}
