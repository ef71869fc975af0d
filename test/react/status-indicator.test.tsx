import { describe, expect, it } from 'vitest';
import { render, screen } from '@testing-library/react';
import { StatusIndicator } from '../../src/components/status-indicator.js';
import type { ConnectionStatus } from '../../src/transport/connection-state.js';
import type { GenerationStatus } from '../../src/hooks/use-generation-status.js';
import { expectNoAxeViolations } from './axe.js';

const cases: Array<[ConnectionStatus, GenerationStatus, string]> = [
  ['connecting', 'idle', 'Connecting'],
  ['connected', 'idle', 'Connected'],
  ['connected', 'queued', 'Connected · Queued'],
  ['connected', 'thinking', 'Connected · Thinking'],
  ['connected', 'generating', 'Connected · Generating'],
  ['connected', 'done', 'Connected · Done'],
  ['connected', 'error', 'Connected · Error'],
  ['connected', 'aborted', 'Connected · Stopped'],
  ['reconnecting', 'generating', 'Reconnecting'],
  ['offline', 'idle', 'Offline'],
  ['error', 'idle', 'Connection failed'],
];

describe('StatusIndicator', () => {
  it.each(cases)('connection %s + generation %s reads "%s" as text in a status role', async (connection, generation, text) => {
    const { container } = render(<StatusIndicator connection={{ status: connection }} generation={{ status: generation }} />);
    const status = screen.getByRole('status');
    expect(status).toHaveProperty('textContent', text);
    expect(status.getAttribute('data-connection')).toBe(connection);
    expect(status.getAttribute('data-generation')).toBe(generation);
    await expectNoAxeViolations(container);
  });

  it('takes a whole chat and overridden labels', () => {
    render(
      <StatusIndicator
        chat={{ connection: { status: 'connected' }, generation: { status: 'thinking' } }}
        labels={{ generation: { thinking: 'Réflexion' } as never, connection: { connected: 'Connecté' } as never }}
      />,
    );
    expect(screen.getByRole('status').textContent).toBe('Connecté · Réflexion');
  });
});
