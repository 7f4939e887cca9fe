import type { EventStore, JSONRPCMessage } from "@modelcontextprotocol/server";

/** Bounds of the in-memory event store. */
export interface EventStoreOptions {
  /** Messages kept per stream; older ones can no longer be replayed. */
  maxEventsPerStream: number;
  /** Streams kept at once; the least recently written is forgotten first. */
  maxStreams: number;
}

interface Stream {
  events: { id: string; message: JSONRPCMessage }[];
}

const SEPARATOR = "~";

/**
 * The messages recently sent on 2025 sessions' SSE streams, so a client whose stream broke (or that the server asked
 * to poll, SEP-1699) reconnects with `Last-Event-ID` and gets what it missed. One store per session, so an event id
 * never replays another session's stream; kept in memory, as a session lives in one process.
 */
export function createEventStore(options: EventStoreOptions): EventStore & { streams(): number } {
  const streams = new Map<string, Stream>();
  let sequence = 0;

  const streamOf = (eventId: string) => {
    const at = eventId.lastIndexOf(SEPARATOR);
    return at > 0 ? eventId.slice(0, at) : undefined;
  };

  return {
    async storeEvent(streamId, message) {
      let stream = streams.get(streamId);
      if (stream) streams.delete(streamId);
      else stream = { events: [] };
      // Re-inserted, so the map's order is least recently written first.
      streams.set(streamId, stream);
      if (streams.size > options.maxStreams) streams.delete(streams.keys().next().value as string);
      const id = `${streamId}${SEPARATOR}${++sequence}`;
      stream.events.push({ id, message });
      if (stream.events.length > options.maxEventsPerStream) stream.events.shift();
      return id;
    },

    async getStreamIdForEventId(eventId) {
      const streamId = streamOf(eventId);
      return streamId !== undefined && streams.has(streamId) ? streamId : undefined;
    },

    async replayEventsAfter(lastEventId, { send }) {
      const streamId = streamOf(lastEventId);
      const stream = streamId === undefined ? undefined : streams.get(streamId);
      if (!stream || streamId === undefined) {
        throw new Error(
          `Event '${lastEventId}' is not known here (too old, or from another gateway process)`,
        );
      }
      const from = stream.events.findIndex((event) => event.id === lastEventId);
      // An id older than the oldest kept event replays all that is left.
      for (const event of stream.events.slice(from + 1)) await send(event.id, event.message);
      return streamId;
    },

    streams: () => streams.size,
  };
}
