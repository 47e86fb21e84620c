import {
  Body,
  Controller,
  Get,
  Headers,
  Inject,
  NotFoundException,
  Param,
  Patch,
  Post,
  Query,
  Res,
} from '@nestjs/common';
import { CLOCK } from '@gameday/config';
import type { Clock } from '@gameday/core';
import { ApiBearerAuth, ApiCreatedResponse, ApiOkResponse, ApiProduces, ApiTags } from '@nestjs/swagger';
import { runDetailViewSchema, runNoteViewSchema } from '../common/response.schemas';
import { renderRunReportHtml, renderRunReportJunit, renderRunReportMarkdown } from '@gameday/core';
import { GameDayRepository, RunNoteRepository, RunRepository } from '@gameday/db';
import type { Response } from 'express';
import { CurrentPrincipal, RequireRole, type Principal } from '../auth/auth.decorators';
import { ProblemException } from '../common/problem';
import { ZodValidationPipe } from '../common/zod-validation.pipe';
import { idSchema } from '../common/id.schema';
import { noteView, runDetailView } from '../common/run.view';
import { SafetyLeverService } from '../safety/safety-lever.service';
import { RunReportService } from './run-report.service';
import {
  reportQuerySchema,
  runNoteCreateSchema,
  runNotePatchSchema,
  type ReportQuery,
  type RunNoteCreateBody,
  type RunNotePatchBody,
} from './run-notes.schemas';

const validated = { pipes: [ZodValidationPipe] };

/** The page only needs its own inline styles; everything else is refused to the browser. */
const REPORT_CSP =
  "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

export type ReportFormat = 'html' | 'markdown' | 'junit' | 'json';

/** Media types each format answers to (the first is the one it is served as). */
const REPORT_TYPES: Readonly<Record<ReportFormat, readonly string[]>> = {
  html: ['text/html', 'text/*', '*/*'],
  markdown: ['text/markdown', 'text/x-markdown'],
  // JUnit has no registered type: CI tools fetch it as XML
  junit: ['application/xml', 'text/xml', 'application/junit+xml', 'application/*'],
  json: ['application/json'],
};
const CONTENT_TYPE: Readonly<Record<ReportFormat, string>> = {
  html: 'text/html; charset=utf-8',
  markdown: 'text/markdown; charset=utf-8',
  junit: 'application/xml; charset=utf-8',
  json: 'application/json; charset=utf-8',
};

/** Picks the report format from ?format= or the Accept header; HTML is the default. */
export function reportFormat(accept: string | undefined, format: ReportQuery['format']): ReportFormat | null {
  if (format) return format;
  if (!accept || !accept.trim()) return 'html';
  // the first acceptable type in the client's order of preference (q-values respected)
  const ranges = accept
    .split(',')
    .map((part, i) => {
      const [type, ...params] = part.trim().toLowerCase().split(';');
      const q = Number(
        params
          .map((p) => p.trim())
          .find((p) => p.startsWith('q='))
          ?.slice(2) ?? '1',
      );
      return { type: type.trim(), q: Number.isFinite(q) ? q : 0, i };
    })
    .filter((r) => r.q > 0)
    .sort((a, b) => b.q - a.q || a.i - b.i);
  // application/json before application/* (junit): the more specific type wins within a range
  const order: ReportFormat[] = ['markdown', 'json', 'junit', 'html'];
  for (const r of ranges) {
    const found = order.find((f) => REPORT_TYPES[f].includes(r.type));
    if (found) return found;
  }
  return null;
}

@ApiTags('runs')
@ApiBearerAuth()
@Controller('api/v1/runs')
export class RunsController {
  constructor(
    private readonly runs: RunRepository,
    private readonly gameDays: GameDayRepository,
    private readonly notes: RunNoteRepository,
    private readonly reports: RunReportService,
    private readonly lever: SafetyLeverService,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  /** One run with its timeline (events), result, verdict, notes and action items. */
  @Get(':id')
  @RequireRole('viewer')
  @ApiOkResponse({ standardSchema: runDetailViewSchema })
  async get(@Param('id', { schema: idSchema, ...validated }) id: string, @CurrentPrincipal() principal: Principal) {
    const run = await this.runs.findById(id);
    if (!run) throw new NotFoundException(`no run ${id}`);
    const [gameDay, notes, safetyLever] = await Promise.all([
      this.gameDays.findById(run.gameDayId),
      this.notes.listForRun(id),
      this.lever.view(),
    ]);
    return { ...runDetailView(run, principal, gameDay ?? undefined, notes), safetyLever };
  }

  /**
   * The run report: a self-contained HTML page (chart of probe latency with the baseline, fault
   * and recovery windows, verdict, statistics, timeline, commands, notes), Markdown, JUnit XML
   * (a testcase per hypothesis check, guardrail and verdict, for CI) or the structured report as
   * JSON, by Accept or ?format=. Each carries the run's resilience score.
   */
  @Get(':id/report')
  @RequireRole('viewer')
  @ApiProduces('text/html', 'text/markdown', 'application/xml', 'application/json')
  @ApiOkResponse({
    description:
      'text/html (default), text/markdown, application/xml (JUnit) or application/json (the structured report), chosen by the Accept header or ?format=html|markdown|junit|json',
    content: {
      'text/html': { schema: { type: 'string' } },
      'text/markdown': { schema: { type: 'string' } },
      'application/xml': { schema: { type: 'string', description: 'JUnit XML' } },
      'application/json': { schema: { type: 'object', description: 'the structured run report (RunReport)' } },
    },
  })
  async report(
    @Param('id', { schema: idSchema, ...validated }) id: string,
    @Query({ schema: reportQuerySchema, ...validated }) query: ReportQuery,
    @Headers('accept') accept: string | undefined,
    @CurrentPrincipal() principal: Principal,
    @Res({ passthrough: true }) res: Response,
  ): Promise<string> {
    const format = reportFormat(accept, query.format);
    if (!format)
      throw new ProblemException({
        type: 'about:blank',
        title: 'Not Acceptable',
        status: 406,
        detail: 'the report is available as text/html, text/markdown, application/xml (JUnit) or application/json',
      });
    const report = await this.reports.build(id, principal);
    res.setHeader('Vary', 'Accept');
    res.setHeader('Cache-Control', 'no-store');
    res.setHeader('Content-Type', CONTENT_TYPE[format]);
    if (format === 'markdown') return renderRunReportMarkdown(report);
    if (format === 'junit') return renderRunReportJunit(report);
    // a string, so Nest sends it as it is (with the content type above)
    if (format === 'json') return JSON.stringify(report);
    res.setHeader('Content-Security-Policy', REPORT_CSP);
    return renderRunReportHtml(report);
  }

  @Post(':id/notes')
  @RequireRole('operator')
  @ApiCreatedResponse({ standardSchema: runNoteViewSchema })
  async addNote(
    @Param('id', { schema: idSchema, ...validated }) id: string,
    @Body({ schema: runNoteCreateSchema, ...validated }) body: RunNoteCreateBody,
    @CurrentPrincipal() principal: Principal,
  ) {
    const run = await this.runs.findById(id);
    if (!run) throw new NotFoundException(`no run ${id}`);
    return noteView(
      await this.notes.create({
        runId: id,
        kind: body.kind,
        text: body.text,
        owner: body.owner ?? null,
        author: principal.name,
      }),
    );
  }

  @Patch(':id/notes/:noteId')
  @RequireRole('operator')
  @ApiOkResponse({ standardSchema: runNoteViewSchema })
  async updateNote(
    @Param('id', { schema: idSchema, ...validated }) id: string,
    @Param('noteId', { schema: idSchema, ...validated }) noteId: string,
    @Body({ schema: runNotePatchSchema, ...validated }) body: RunNotePatchBody,
  ) {
    const note = await this.notes.update(id, noteId, body, this.clock.now());
    if (!note) throw new NotFoundException(`no note ${noteId} on run ${id}`);
    return noteView(note);
  }
}
