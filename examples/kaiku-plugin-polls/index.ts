import { join } from 'node:path'
import { randomUUID } from 'node:crypto'
import { definePlugin, type EntityManager } from 'kaiku/plugin-api'
import './doors.js'
import { Poll, PollAnswer, type PollEntity } from './entities/poll.entity.js'
import { pollRoutes } from './routes/polls.routes.js'
import { keepAuth, sendInvites } from './services/invite.js'
import messages from './messages/en.js'


/**
 * Polls and short surveys. Admins and curators ask; members answer once; results are SVG charts.
 * A third-party plugin: it imports only `kaiku/plugin-api`.
 */
export default definePlugin({
  name: 'polls',
  version: '1.0.0',
  api: '^1.7.0',
  description: 'Polls and short surveys with SVG results.',
  requires: ['tenancy', 'auth', 'feeds'],
  optional: true,
  entities: [Poll, PollAnswer],
  migrations: join(import.meta.dirname, 'migrations'),
  views: join(import.meta.dirname, 'views'),
  mail: join(import.meta.dirname, 'mail'),
  messages: { en: messages },
  nav: [{ label: 'nav.polls', href: '/polls', roles: ['owner', 'admin', 'curator', 'member'], order: 450 }],
  events: { 'poll.answered': { kind: 'action', description: 'A member answered a poll (no member id in anonymous polls).' } },
  personalData: [
    {
      category: 'answers',
      title: 'Your poll answers',
      purpose: 'To count each member once and show results to the instance.',
      fields: ['chosen options', 'free-text answers', 'your member id (named polls only)'],
      retention: 'As long as the poll exists; anonymous answers keep only a keyed hash, never your id.',
      visibleTo: ['member', 'admins', 'curators']
    }
  ],
  on: {
    filters: {
      // A poll attached to a post shows on that post's page.
      'post.sections': async (sections, { em, postId }) => {
        const polls = await em.find(Poll, { postId }, { orderBy: { createdAt: 'asc' }, limit: 5 })
        if (polls.length === 0) return sections
        return [...sections, { partial: 'polls/post-polls', data: { polls: polls.map((poll) => ({ id: poll.id, question: poll.question })) } }]
      },
      // The member's named answers and the polls they wrote, in their export.
      'privacy.export': async (parts, { em, memberId }) => {
        const answers = await em.find(PollAnswer, { memberId }, { orderBy: { createdAt: 'asc' } })
        const written = await em.find(Poll, { createdBy: memberId }, { orderBy: { createdAt: 'asc' } })
        const rows = [
          ...answers.map((a) => ({ kind: 'answer', pollId: a.pollId, choices: a.choices, text: a.text, createdAt: a.createdAt })),
          ...written.map((p) => ({ kind: 'poll', pollId: p.id, question: p.question, createdAt: p.createdAt }))
        ]
        return [...parts, { plugin: 'polls', category: 'answers', rows }]
      },
      // Answers keep counting but lose the member; on erasure the polls they wrote lose their author.
      'privacy.erase': async (parts, { em, memberId, mode }) => {
        const answers = await em.find(PollAnswer, { memberId }, { fields: ['id'] })
        for (const answer of answers) await em.nativeUpdate(PollAnswer, { id: answer.id }, { memberId: null, voter: randomUUID() })
        const polls = mode === 'erase' ? await em.nativeUpdate(Poll, { createdBy: memberId }, { createdBy: '' }) : 0
        return [...parts, { plugin: 'polls', category: 'answers', affected: answers.length + polls }]
      }
    }
  },
  jobs: {
    'polls.invite': {
      description: 'Mail every active member of the instance an invitation to answer a new poll.',
      async handler(payload: { tenantId: string; pollId: string; origin: string }, { em, ctx }) {
        await sendInvites(em, ctx, payload)
      }
    }
  },
  async register(app, ctx) {
    // Analytics is optional: with it, answers earn activity points; without it, polls work alike.
    const analytics = app.hasDecorator('analytics') ? app.analytics : undefined
    analytics?.defineActivity({ type: 'poll.answered', label: 'Poll answered', points: 2 })
    const answered = async (em: EntityManager, poll: PollEntity, memberId: string) => {
      const who = poll.anonymous ? null : memberId
      ctx.events.emit('poll.answered', { tenantId: poll.tenantId, pollId: poll.id, memberId: who, postId: poll.postId ?? null }, { em })
      await analytics?.record(em, { tenantId: poll.tenantId, type: 'poll.answered', memberId: who, postId: poll.postId })
    }
    keepAuth(ctx, app.auth)
    await app.register(async (scope) => {
      scope.addHook('onRequest', app.auth.requireMember())
      pollRoutes(scope, { ctx, voterKey: ctx.keys.derive('voter'), answered })
    })
  }
})
