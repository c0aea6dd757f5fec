/**
 * The networks a suggested share text can be written for ('any' means every network). Which ones an
 * instance allows is the sharing plugin's business; here they only label texts.
 */
export const TEXT_NETWORKS = ['any', 'linkedin', 'x', 'facebook', 'xing', 'mastodon', 'bluesky', 'email'] as const
export type TextNetwork = (typeof TEXT_NETWORKS)[number]
export const isTextNetwork = (value: string): value is TextNetwork => (TEXT_NETWORKS as readonly string[]).includes(value)
