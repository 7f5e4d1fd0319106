import { Anchor, Card, Checkbox, Group, Stack, Text, Title } from '@mantine/core';
import type { ActionItem } from '../../../core/contract/drills';
import { api } from '../../api';
import { formatDate } from '../../format';
import type { PageId } from '../../router';

/** The open action items, each ticked off when done. */
export function ActionItems({ items, go }: { items: ActionItem[]; go(page: PageId, param?: string | null): void }) {
  const open = items.filter((item) => item.status === 'open');
  if (open.length === 0) return null;
  return (
    <Card withBorder>
      <Title order={3} size="h4" mb="xs">
        Action items ({open.length})
      </Title>
      <Text size="sm" c="dimmed" mb="sm">
        What drills and alerts found that needs fixing. Tick an item when it is done; reports list both.
      </Text>
      <Stack gap="xs">
        {open.map((item) => (
          <Group key={item.id} justify="space-between" wrap="nowrap" data-testid="action-item">
            <Checkbox
              label={item.description}
              description={`${item.subject} · raised ${formatDate(item.createdAt)}`}
              checked={false}
              onChange={() => void api.closeActionItem({ id: item.id })}
            />
            {item.drillId && (
              <Anchor component="button" size="sm" onClick={() => go('drills', item.drillId)}>
                See the drill
              </Anchor>
            )}
          </Group>
        ))}
      </Stack>
    </Card>
  );
}
