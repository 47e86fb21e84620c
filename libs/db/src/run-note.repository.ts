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

  async update(runId: string, noteId: string, data: RunNoteUpdate): Promise<RunNote | null> {
    // scoped by run: a note id under another run's path is "not found", not an edit
    const { count } = await this.prisma.runNote.updateMany({ where: { id: noteId, runId }, data });
    return count === 0 ? null : this.prisma.runNote.findUnique({ where: { id: noteId } });
  }

  listForRun(runId: string): Promise<RunNote[]> {
    return this.prisma.runNote.findMany({ where: { runId }, orderBy: [{ createdAt: 'asc' }, { id: 'asc' }] });
  }
}
