import type { Hub } from '../../core/hub.js';
import { topicHash } from '../../protocol/relay/codec.js';

const hexOf = (topic: string): string => Buffer.from(topicHash(topic)).toString('hex');

/**
 * The registered topics by the SHA-256 the relay sees (CONTRACT §6b: "the server knows the names
 * of registered topics"), kept from the applied registry changes: a topic is known while it has a
 * brewer.
 */
export class TopicHashes {
  private readonly topics = new Map<string, string>();

  constructor(hub: Hub) {
    hub.engine.onApplied((change) => {
      if (change.kind === 'brewer.added') this.topics.set(hexOf(change.registration.topic), change.registration.topic);
      else if (change.kind === 'brewer.removed' && hub.registry.on(change.registration.topic).length === 0) {
        this.topics.delete(hexOf(change.registration.topic));
      }
    });
  }

  /** The topic whose hash (lowercase hex) is `key`, while it has a brewer. */
  topicOf(key: string): string | undefined {
    return this.topics.get(key);
  }
}
