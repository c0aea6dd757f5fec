import type { FormName } from '../entities/lead.entity.js'

/** The answers a step can hold; `slot` is the demo's date, time and time zone together. */
export type FieldName = 'email' | 'name' | 'company' | 'role' | 'companySize' | 'message' | 'slot'

export interface StepDefinition {
  /** Message keys (in the forms catalogue) of the step's heading and question. */
  heading: string
  question?: string
  fields: FieldName[]
}

export interface FormDefinition {
  name: FormName
  /** Where the form lives; its thank-you page is `<path>/thanks`. */
  path: string
  title: string
  steps: StepDefinition[]
}

const emailStep: StepDefinition = { heading: 'step.email.heading', question: 'step.email.question', fields: ['email'] }

/** The two public forms, one question per step, in the words the product's own site used. */
export const FORMS: Record<FormName, FormDefinition> = {
  contact: {
    name: 'contact',
    path: '/contact',
    title: 'contact.title',
    steps: [
      emailStep,
      { heading: 'step.about.heading', question: 'contact.about.question', fields: ['name', 'company', 'role'] },
      { heading: 'contact.message.heading', fields: ['message'] }
    ]
  },
  demo: {
    name: 'demo',
    path: '/demo',
    title: 'demo.title',
    steps: [
      emailStep,
      { heading: 'step.about.heading', question: 'demo.about.question', fields: ['name', 'company', 'companySize', 'role'] },
      { heading: 'demo.slot.heading', fields: ['slot'] }
    ]
  }
}

export const COMPANY_SIZES = ['1-10', '11-50', '51-200', '201-1000', '1000+'] as const
