import type { ConsoleEvent, EventListener } from './contract/events';

/** Fan-out of engine events to every connected console; a throwing listener never stops the others. */
export class EventBus {
  private readonly listeners = new Set<EventListener>();

  subscribe(listener: EventListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  emit(event: ConsoleEvent): void {
    for (const listener of this.listeners) {
      try {
        listener(event);
      } catch {
        // A console that cannot take an event is that console's problem; the engine goes on.
      }
    }
  }

  get size(): number {
    return this.listeners.size;
  }
}
