import { z } from 'zod';
import { targetSchema } from './target.schema';

/** The container fault: pause, stop, kill or restart the target through the Docker API. */
export const containerFaultSchema = z
  .strictObject({
    kind: z.literal('container'),
    target: targetSchema,
    action: z.enum(['pause', 'stop', 'kill', 'restart']),
    signal: z
      .string()
      .regex(/^(SIG)?[A-Z0-9+-]{2,12}$|^\d{1,2}$/, 'signal must be a signal name such as "SIGKILL" or a number')
      .optional(),
  })
  .superRefine((v, ctx) => {
    if (v.signal !== undefined && v.action !== 'kill')
      ctx.addIssue({ code: 'custom', path: ['signal'], message: 'signal is only allowed with action "kill"' });
  });

export type ContainerFaultSpec = z.infer<typeof containerFaultSchema>;
