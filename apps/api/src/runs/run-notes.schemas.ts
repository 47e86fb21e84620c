import { z } from 'zod';

const text = z.string().trim().min(1, 'must not be empty').max(4000, 'must be at most 4000 characters');
const owner = z.string().trim().min(1, 'must not be empty').max(200, 'must be at most 200 characters');

export const runNoteCreateSchema = z
  .strictObject({
    kind: z.enum(['note', 'action_item'], { message: "must be 'note' or 'action_item'" }),
    text,
    owner: owner.optional(),
  })
  .meta({ id: 'RunNoteCreate', description: 'A note or an action item (optionally with an owner) written on a run.' });
export type RunNoteCreateBody = z.infer<typeof runNoteCreateSchema>;

export const runNotePatchSchema = z
  .strictObject({
    done: z.boolean({ message: 'must be true or false' }).optional(),
    text: text.optional(),
    /** null clears the owner */
    owner: owner.nullable().optional(),
  })
  .refine((v) => Object.keys(v).length > 0, 'the patch must change at least one field (done, text, owner)')
  .meta({ id: 'RunNotePatch', description: 'Marks an action item done (or not) and/or edits its text or owner.' });
export type RunNotePatchBody = z.infer<typeof runNotePatchSchema>;

export const reportQuerySchema = z.strictObject({
  /** overrides the Accept header (handy in a browser address bar) */
  format: z
    .enum(['html', 'markdown', 'junit', 'json'], { message: "must be 'html', 'markdown', 'junit' or 'json'" })
    .optional(),
});
export type ReportQuery = z.infer<typeof reportQuerySchema>;
