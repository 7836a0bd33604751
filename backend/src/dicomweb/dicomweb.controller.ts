import { Controller, Get, Inject, Param, Req, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiProduces, ApiSecurity, ApiTags } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { AllowApiKey } from '../common/decorators.js';
import { publicBaseUrl } from '../common/public-url.js';
import { APP_CONFIG, type AppConfig } from '../config/config.js';
import { DicomwebService, type RequestInfo } from './dicomweb.service.js';
import type { QidoLevel } from './qido-query.js';

const DICOM_JSON = 'application/dicom+json';

/**
 * DICOMweb read side under /dicomweb (PS3.18): QIDO-RS searches and WADO-RS retrieval.
 * Hospital API keys may call it (an archive querying or retrieving from the platform).
 * An empty search answers 200 with `[]` (PS3.18 also allows 204; an empty array is what
 * every client handles).
 */
@ApiTags('dicomweb')
@ApiBearerAuth()
@ApiSecurity('ApiKey')
@AllowApiKey()
@Controller('dicomweb')
export class DicomwebController {
  constructor(
    private readonly dicomweb: DicomwebService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  // ------------------------------------------------------------------ QIDO-RS

  @Get('studies')
  @ApiOperation({ summary: 'QIDO-RS: search studies (PatientID, PatientName with * and ?, StudyDate ranges, ModalitiesInStudy, AccessionNumber, StudyInstanceUID list, ...; limit, offset, includefield)' })
  @ApiProduces(DICOM_JSON)
  searchStudies(@Req() req: Request, @Res() res: Response) {
    return this.search('study', {}, req, res);
  }

  @Get('series')
  @ApiOperation({ summary: 'QIDO-RS: search series of all studies' })
  @ApiProduces(DICOM_JSON)
  searchAllSeries(@Req() req: Request, @Res() res: Response) {
    return this.search('series', {}, req, res);
  }

  @Get('instances')
  @ApiOperation({ summary: 'QIDO-RS: search instances of all studies' })
  @ApiProduces(DICOM_JSON)
  searchAllInstances(@Req() req: Request, @Res() res: Response) {
    return this.search('instance', {}, req, res);
  }

  @Get('studies/:study/series')
  @ApiOperation({ summary: "QIDO-RS: search a study's series" })
  @ApiProduces(DICOM_JSON)
  searchSeries(@Param('study') study: string, @Req() req: Request, @Res() res: Response) {
    return this.search('series', { study }, req, res);
  }

  @Get('studies/:study/instances')
  @ApiOperation({ summary: "QIDO-RS: search a study's instances" })
  @ApiProduces(DICOM_JSON)
  searchStudyInstances(@Param('study') study: string, @Req() req: Request, @Res() res: Response) {
    return this.search('instance', { study }, req, res);
  }

  @Get('studies/:study/series/:series/instances')
  @ApiOperation({ summary: "QIDO-RS: search a series' instances" })
  @ApiProduces(DICOM_JSON)
  searchInstances(@Param('study') study: string, @Param('series') series: string, @Req() req: Request, @Res() res: Response) {
    return this.search('instance', { study, series }, req, res);
  }

  // ------------------------------------------------------------------ WADO-RS

  @Get('studies/:study')
  @ApiOperation({ summary: 'WADO-RS: every instance of the study, multipart/related; type="application/dicom", streamed as stored' })
  @ApiProduces('multipart/related; type="application/dicom"')
  retrieveStudy(@Param('study') study: string, @Req() req: Request, @Res() res: Response) {
    return this.dicomweb.retrieve({ study }, this.info(req), res);
  }

  @Get('studies/:study/series/:series')
  @ApiOperation({ summary: 'WADO-RS: every instance of the series' })
  @ApiProduces('multipart/related; type="application/dicom"')
  retrieveSeries(@Param('study') study: string, @Param('series') series: string, @Req() req: Request, @Res() res: Response) {
    return this.dicomweb.retrieve({ study, series }, this.info(req), res);
  }

  @Get('studies/:study/series/:series/instances/:instance')
  @ApiOperation({ summary: 'WADO-RS: one instance (multipart/related; type="application/dicom", or Accept: application/dicom for a single part)' })
  @ApiProduces('multipart/related; type="application/dicom"', 'application/dicom')
  retrieveInstance(@Param('study') study: string, @Param('series') series: string, @Param('instance') instance: string, @Req() req: Request, @Res() res: Response) {
    return this.dicomweb.retrieve({ study, series, instance }, this.info(req), res);
  }

  @Get('studies/:study/metadata')
  @ApiOperation({ summary: 'WADO-RS: metadata of every instance of the study (from the index; BulkDataURIs absolute)' })
  @ApiProduces(DICOM_JSON)
  studyMetadata(@Param('study') study: string, @Req() req: Request, @Res() res: Response) {
    return this.dicomweb.metadata({ study }, this.info(req), res);
  }

  @Get('studies/:study/series/:series/metadata')
  @ApiOperation({ summary: 'WADO-RS: metadata of every instance of the series' })
  @ApiProduces(DICOM_JSON)
  seriesMetadata(@Param('study') study: string, @Param('series') series: string, @Req() req: Request, @Res() res: Response) {
    return this.dicomweb.metadata({ study, series }, this.info(req), res);
  }

  @Get('studies/:study/series/:series/instances/:instance/metadata')
  @ApiOperation({ summary: 'WADO-RS: metadata of one instance' })
  @ApiProduces(DICOM_JSON)
  instanceMetadata(@Param('study') study: string, @Param('series') series: string, @Param('instance') instance: string, @Req() req: Request, @Res() res: Response) {
    return this.dicomweb.metadata({ study, series, instance }, this.info(req), res);
  }

  @Get('studies/:study/series/:series/instances/:instance/frames/:frames')
  @ApiOperation({
    summary:
      'WADO-RS: frames (comma list, from 1) as stored: native → application/octet-stream; transfer-syntax=1.2.840.10008.1.2.1, encapsulated → the bitstream with its transfer syntax named. No transcoding (406).',
  })
  @ApiProduces('multipart/related; type="application/octet-stream"', 'multipart/related; type="image/jp2"', 'multipart/related; type="image/jpeg"')
  frames(
    @Param('study') study: string,
    @Param('series') series: string,
    @Param('instance') instance: string,
    @Param('frames') frames: string,
    @Req() req: Request,
    @Res() res: Response,
  ) {
    return this.dicomweb.frames({ study, series, instance }, frames, this.info(req), res);
  }

  @Get('studies/:study/series/:series/instances/:instance/bulk/*element')
  @ApiOperation({ summary: 'WADO-RS: bulk data of one element (tag, or seqTag/item/tag inside sequences), as in the metadata BulkDataURIs' })
  @ApiProduces('multipart/related; type="application/octet-stream"', 'application/octet-stream')
  bulk(
    @Param('study') study: string,
    @Param('series') series: string,
    @Param('instance') instance: string,
    @Param('element') element: string | string[],
    @Req() req: Request,
    @Res() res: Response,
  ) {
    const path = (Array.isArray(element) ? element : element.split('/')).filter(Boolean);
    return this.dicomweb.bulk({ study, series, instance }, path, this.info(req), res);
  }

  // ------------------------------------------------------------------ helpers

  private async search(level: QidoLevel, path: { study?: string; series?: string }, req: Request, res: Response) {
    const qs = req.originalUrl.includes('?') ? req.originalUrl.slice(req.originalUrl.indexOf('?') + 1) : '';
    const { json, warnings } = await this.dicomweb.search(level, new URLSearchParams(qs), path, this.info(req));
    if (warnings.length) res.setHeader('Warning', warnings.map((w) => `299 teleread "${w.replace(/"/g, "'")}"`).join(', '));
    res.status(200).setHeader('Content-Type', `${DICOM_JSON}; charset=utf-8`);
    res.end(json);
  }

  /** The /dicomweb URL clients reach us at (for RetrieveURL and BulkDataURI), and what they accept. */
  private info(req: Request): RequestInfo {
    const root = publicBaseUrl(req, this.config.PUBLIC_URL);
    const acceptParam = typeof req.query.accept === 'string' ? req.query.accept : undefined;
    return { base: `${root}/dicomweb`, accept: acceptParam ?? req.headers.accept };
  }
}
