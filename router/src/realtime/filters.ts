// The skip-self filter family on a subscription (Grip-Channel `filter=`), as Pushpin's src/handler/filter.cpp does
// them: each compares the subscription's meta (Grip-Set-Meta) with the publish item's meta.

/** The filter names this router applies; others are ignored (and not announced in Grip-Feature). */
export const FILTERS = ['skip-self', 'skip-users', 'require-sub'] as const;

/** Whether an item with `publishMeta` reaches a subscription with `filters`, `subscriptionMeta` and `channels`. */
export function passes(filters: readonly string[], subscriptionMeta: Readonly<Record<string, string>>, publishMeta: Readonly<Record<string, string>>, channels: readonly string[]): boolean {
  const user = subscriptionMeta.user ?? '';
  for (const filter of filters) {
    if (filter === 'skip-self') {
      const sender = publishMeta.sender ?? '';
      if (user !== '' && sender !== '' && sender === user) return false;
    } else if (filter === 'skip-users') {
      const skip = (publishMeta.skip_users ?? '').split(',').map((s) => s.trim()).filter(Boolean);
      if (user !== '' && skip.includes(user)) return false;
    } else if (filter === 'require-sub') {
      const required = publishMeta.require_sub ?? '';
      if (required !== '' && !channels.includes(required)) return false;
    }
  }
  return true;
}
