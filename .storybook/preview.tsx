import type { Preview } from '@storybook/react-vite';
import '../src/styles.css';

const preview: Preview = {
  parameters: {
    layout: 'padded',
    controls: { expanded: true },
  },
  decorators: [
    (Story) => (
      <div style={{ height: 560, maxWidth: 760, margin: '0 auto' }}>
        <Story />
      </div>
    ),
  ],
};

export default preview;
