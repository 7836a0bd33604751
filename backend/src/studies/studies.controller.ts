import { Controller, Get, Param, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import { z } from 'zod';
import { DicomUid, Paging } from '../common/schemas.js';
import { StudiesService } from './studies.service.js';

const StudySearchSchema = z.strictObject({
  ...Paging,
  patientName: z.string().trim().min(1).max(200).optional(),
  patientMrn: z.string().trim().min(1).max(64).optional(),
  accessionNumber: z.string().trim().min(1).max(64).optional(),
  hospitalId: z.uuid().optional(),
});
const StudyParams = z.object({ studyInstanceUid: DicomUid });

@ApiTags('studies')
@ApiBearerAuth()
@Controller('api/studies')
export class StudiesController {
  constructor(private readonly studies: StudiesService) {}

  @Get()
  @ApiOperation({ summary: 'Studies the caller may see, newest first' })
  search(@Query({ schema: StudySearchSchema }) q: z.infer<typeof StudySearchSchema>) {
    return this.studies.search(q);
  }

  @Get(':studyInstanceUid')
  @ApiOperation({ summary: 'One study with its series' })
  get(@Param({ schema: StudyParams }) p: z.infer<typeof StudyParams>) {
    return this.studies.get(p.studyInstanceUid);
  }
}
