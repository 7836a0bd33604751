import { Controller, Inject, Param, Post, Req, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiSecurity, ApiTags } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { z } from 'zod';
import { AllowApiKey, CurrentPrincipal, Roles } from '../common/decorators.js';
import type { Principal } from '../common/principal.js';
import { publicBaseUrl } from '../common/public-url.js';
import { APP_CONFIG, type AppConfig } from '../config/config.js';
import { StowService } from './stow.service.js';
import { DicomUid } from '../common/schemas.js';

const StudyParam = z.object({ study: DicomUid });

@ApiTags('dicomweb')
@ApiBearerAuth()
@ApiSecurity('ApiKey')
@Controller('dicomweb')
export class StowController {
  constructor(
    private readonly stow: StowService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  @Post('studies')
  @AllowApiKey()
  @Roles('HOSPITAL_STAFF')
  @ApiOperation({ summary: 'STOW-RS: store DICOM instances (multipart/related; type="application/dicom"), streamed' })
  storeInstances(@CurrentPrincipal() principal: Principal, @Req() req: Request, @Res() res: Response) {
    return this.reply(principal, req, res);
  }

  @Post('studies/:study')
  @AllowApiKey()
  @Roles('HOSPITAL_STAFF')
  @ApiOperation({ summary: 'STOW-RS into one study: instances of other studies are refused' })
  storeStudy(@CurrentPrincipal() principal: Principal, @Param({ schema: StudyParam }) p: z.infer<typeof StudyParam>, @Req() req: Request, @Res() res: Response) {
    return this.reply(principal, req, res, p.study);
  }

  private async reply(principal: Principal, req: Request, res: Response, study?: string) {
    const outcome = await this.stow.store(principal, req.headers['content-type'], req, `${publicBaseUrl(req, this.config.PUBLIC_URL)}/dicomweb`, study);
    res.status(outcome.status).type('application/dicom+json').send(JSON.stringify(outcome.body));
  }
}
