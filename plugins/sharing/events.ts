declare module '../../core/api.js' {
  interface KaikuActions {
    /** A member shared a post to a network (analytics counts shares and awards points). */
    'share.created': { tenantId: string; shareId: string; postId: string; memberId: string; network: string }
  }
}

export const sharingEvents = {
  'share.created': { kind: 'action', description: 'A member shared a post to a network through their tracked link.' }
} as const
