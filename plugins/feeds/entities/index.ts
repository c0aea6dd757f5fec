export { Topic, FavouriteTopic, Reader } from './topic.entity.js'
export { Post, PostTopic, ShareText, Image } from './post.entity.js'
export { Reaction, Comment, Suggestion } from './social.entity.js'
export { Source, SourceItem } from './source.entity.js'
