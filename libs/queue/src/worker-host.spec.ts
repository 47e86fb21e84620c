import { UnrecoverableError, type Job } from 'bullmq';
import { z } from 'zod';
import { jobData } from './worker-host';

const schema = z.strictObject({ runId: z.uuid() });
const job = (name: string, data: unknown) => ({ name, data, queueName: 'q' }) as Job;
const runId = '4b7d5c0e-3f0a-4c8e-9a52-2f1b7f6f9e11';

describe('jobData', () => {
  it('returns the payload its schema accepts', () => {
    expect(jobData(job('abort', { runId }), schema, 'abort')).toEqual({ runId });
    expect(jobData(job('anything', { runId }), schema)).toEqual({ runId });
  });

  it('refuses, for good, a job of another name or a payload its schema refuses', () => {
    expect(() => jobData(job('other', { runId }), schema, 'abort')).toThrow(UnrecoverableError);
    expect(() => jobData(job('other', { runId }), schema, 'abort')).toThrow('unknown job other on q');
    expect(() => jobData(job('abort', { runId: 'x' }), schema, 'abort')).toThrow(UnrecoverableError);
    expect(() => jobData(job('abort', { runId, extra: 1 }), schema)).toThrow(/invalid abort job payload/);
  });
});
