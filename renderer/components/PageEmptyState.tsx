import { Button, EmptyState, Paper } from '@mantine/core';
import type { ReactNode } from 'react';

export interface EmptyAction {
  label: string;
  onClick(): void;
}

/** What a page shows before there is anything to show: what this page is for, and the next step. */
export function PageEmptyState({
  icon,
  title,
  description,
  action,
}: {
  icon: ReactNode;
  title: string;
  description: ReactNode;
  action?: EmptyAction;
}) {
  return (
    <Paper withBorder p="xl" radius="md">
      <EmptyState variant="light" size="lg">
        <EmptyState.Indicator>{icon}</EmptyState.Indicator>
        <EmptyState.Title order={3}>{title}</EmptyState.Title>
        <EmptyState.Description maw={560}>{description}</EmptyState.Description>
        {action && (
          <EmptyState.Actions>
            <Button onClick={action.onClick}>{action.label}</Button>
          </EmptyState.Actions>
        )}
      </EmptyState>
    </Paper>
  );
}
