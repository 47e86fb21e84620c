import { Injectable } from '@nestjs/common';
import type { RunNote } from './generated/prisma/client';
import { PrismaService } from './prisma.service';
import type { RunNoteCreate, RunNoteStore, RunNoteUpdate } from './repository.types';

@Injectable()
export class RunNoteRepository implements RunNoteStore {
  constructor(private readonly prisma: PrismaService) {}

  create(data: RunNoteCreate): Promise<RunNote> {
    return this.prisma.runNote.create({ data });
  }

  async update(runId: string, noteId: string, data: RunNoteUpdate, at: Date): Promise<RunNote | null> {
    return this.prisma.$transaction(async (tx) => {
      // scoped by run: a note id under another run's path is "not found", not an edit
      const current = await tx.runNote.findFirst({ where: { id: noteId, runId } });
      if (!current) return null;
      const { done, ...fields } = data;
      const doneAt = done === undefined ? current.doneAt : done ? (current.doneAt ?? at) : null;
      return tx.runNote.update({ where: { id: noteId }, data: { ...fields, doneAt } });
    });
  }

  listForRun(runId: string): Promise<RunNote[]> {
    return this.prisma.runNote.findMany({ where: { runId }, orderBy: [{ createdAt: 'asc' }, { id: 'asc' }] });
  }
}
