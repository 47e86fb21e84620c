import { parseFrame } from './api';

describe('web API client: Server-Sent Events frames', () => {
  it('reads the event name and its JSON data', () => {
    expect(parseFrame('event: run\ndata: {"status":"observing"}')).toEqual({
      event: 'run',
      data: { status: 'observing' },
    });
  });

  it('joins multi-line data and defaults the event name to "message"', () => {
    expect(parseFrame('data: [1,\ndata: 2]')).toEqual({ event: 'message', data: [1, 2] });
  });

  it('ignores comments (keep-alives)', () => {
    expect(parseFrame(': keep-alive')).toBeNull();
  });
});
