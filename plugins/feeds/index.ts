import { join } from 'node:path'
import type { FastifyInstance } from 'fastify'
import { definePlugin, Type } from '../../core/api.js'
import { Comment, FavouriteTopic, Image, Post, PostTopic, Reaction, Reader, ShareText, Source, SourceItem, Suggestion, Topic } from './entities/index.js'
import { feedsDoor } from './door.js'
import { feedsEvents } from './events.js'
import messages from './messages/en.js'
import { feedRoutes } from './routes/feed.js'
import { onboardingRoutes, topicChoices } from './routes/onboarding.js'
import { postListRoutes } from './routes/post-list.js'
import { postRoutes } from './routes/posts.js'
import { suggestionRoutes } from './routes/suggestions.js'
import { topicRoutes } from './routes/topics.js'
import { forgetMember } from './services/members.js'
import { expireDue, publishDue } from './services/posts.js'
import { creditPublished } from './services/suggestions.js'
import { sourcesPart } from './sources.js'
import { eraseFeeds, exportFeeds, feedsPersonalData } from './privacy.js'

/** Each app, by its plugin context: what an event handler needs of other plugins' doors. */
const apps = new WeakMap<object, FastifyInstance>()

/**
 * The employee feed: topics, posts (curated, suggested, or brought in from RSS), scheduling, link
 * previews with Kaiku-served images, likes and comments.
 */
export default definePlugin({
  name: 'feeds',
  version: '1.0.0',
  api: '^1.0.0',
  description: 'Topics, curated and suggested content, RSS import and the employee feed.',
  requires: ['tenancy', 'auth'],
  config: Type.Object({ ...sourcesPart.config }),
  entities: [Topic, FavouriteTopic, Reader, Post, PostTopic, ShareText, Image, Reaction, Comment, Suggestion, Source, SourceItem],
  migrations: join(import.meta.dirname, 'migrations'),
  views: join(import.meta.dirname, 'views'),
  assets: join(import.meta.dirname, 'assets'),
  mail: join(import.meta.dirname, 'mail'),
  messages: { en: { ...messages, ...sourcesPart.messages } },
  events: feedsEvents,
  nav: sourcesPart.nav,
  personalData: feedsPersonalData,
  on: {
    filters: {
      'profile.sections': async (sections, { em, memberId }) => {
        const topics = await topicChoices(em, memberId)
        return topics.length ? [...sections, { partial: 'feeds/me-topics', data: { topics } }] : sections
      },
      'privacy.export': exportFeeds,
      'privacy.erase': eraseFeeds
    },
    actions: {
      'member.removed': async ({ tenantId, memberId }, ctx) => forgetMember(ctx.orm.em.fork(), tenantId, memberId),
      // A draft or scheduled post approved from a suggestion: its suggester hears of it once it is live.
      'post.published': async ({ tenantId, postId }, ctx) => {
        const app = apps.get(ctx)
        if (app) await creditPublished(app, ctx, tenantId, postId)
      }
    }
  },
  jobs: {
    'feeds.publish': {
      description: 'Publish a scheduled post at its time.',
      async handler(payload: { tenantId: string; postId: string; at: string }, { em, ctx }) {
        await publishDue(em, ctx, payload)
      }
    },
    'feeds.expire': {
      description: 'Archive a post when it expires.',
      async handler(payload: { tenantId: string; postId: string; at: string }, { em }) {
        await expireDue(em, payload)
      }
    },
    ...sourcesPart.jobs
  },
  schedules: sourcesPart.schedules,
  async register(app, ctx) {
    apps.set(ctx, app)
    feedsDoor(app)
    sourcesPart.register(app, ctx)
    feedRoutes(app, ctx)
    onboardingRoutes(app, ctx)
    postListRoutes(app, ctx)
    postRoutes(app, ctx)
    suggestionRoutes(app, ctx)
    topicRoutes(app, ctx)
  }
})
