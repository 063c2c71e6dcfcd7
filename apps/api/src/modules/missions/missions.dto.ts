import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { FAILURE_POLICIES, type FailurePolicy, MISSION_STATUSES, type MissionStatus, PLAN_STATUSES, type PlanStatus } from '@vaultrun/db';
import { Type } from 'class-transformer';
import { ArrayMaxSize, IsArray, IsIn, IsOptional, IsString, IsUUID, Length, Matches, MaxLength, ValidateNested } from 'class-validator';
import { MicroUsdProperty } from '../../common/money.js';
import { PageQueryDto } from '../../common/pagination.js';
import { SpendSplitDto } from '../money/spend.dto.js';
import { RunDto } from '../runs/runs.dto.js';

const NOT_BLANK = /\S/;

export class CreateMissionDto {
  @ApiProperty({ minLength: 1, maxLength: 200, example: 'Weekly support digest' })
  @IsString()
  @Length(1, 200)
  @Matches(NOT_BLANK, { message: 'must not be blank' })
  title!: string;

  @ApiPropertyOptional({ maxLength: 4000, example: 'Summarise this week’s tickets and draft a note for the team' })
  @IsOptional()
  @IsString()
  @MaxLength(4000)
  goal?: string;
}

export class SendMessageDto {
  @ApiProperty({ minLength: 1, maxLength: 20_000, example: 'Make a plan: summarise the tickets, then draft the note.' })
  @IsString()
  @Length(1, 20_000)
  @Matches(NOT_BLANK, { message: 'must not be blank' })
  content!: string;
}

export class PlanStepInputDto {
  @ApiProperty({ example: 'summary', description: '1–40 letters, digits, "-" or "_"; unique in the plan' })
  @IsString()
  @Length(1, 40)
  id!: string;

  @ApiProperty({ example: 'Ticket summariser', description: 'An operator of the workspace, by name or id' })
  @IsString()
  @Length(1, 200)
  operator!: string;

  @ApiProperty({ example: 'Summarise: {{steps.collect.output}}', description: 'The input; {{steps.<id>.output}} inserts the output of a step it depends on' })
  @IsString()
  @Length(1, 100_000)
  input!: string;

  @ApiProperty({ type: [String], example: ['collect'] })
  @IsArray()
  @ArrayMaxSize(25)
  @IsString({ each: true })
  dependsOn!: string[];
}

export class CreatePlanDto {
  @ApiPropertyOptional({ format: 'uuid', description: 'The plan this one edits' })
  @IsOptional()
  @IsUUID('all', { message: 'must be a UUID' })
  basedOnPlanId?: string;

  @ApiPropertyOptional({ maxLength: 200 })
  @IsOptional()
  @IsString()
  @MaxLength(200)
  title?: string;

  @ApiProperty({ enum: FAILURE_POLICIES, description: '`stop`: a step that fails cancels the rest. `continue`: independent steps go on' })
  @IsIn(FAILURE_POLICIES)
  failurePolicy!: FailurePolicy;

  @ApiProperty({ type: [PlanStepInputDto] })
  @IsArray()
  @ArrayMaxSize(25)
  @ValidateNested({ each: true })
  @Type(() => PlanStepInputDto)
  steps!: PlanStepInputDto[];
}

export class PlanStepDto {
  @ApiProperty() id!: string;
  @ApiProperty({ type: String, format: 'uuid', nullable: true, description: 'Null when the plan names an unknown operator (an invalid plan)' }) operatorId!: string | null;
  @ApiProperty() operatorName!: string;
  @ApiProperty() input!: string;
  @ApiProperty({ type: [String] }) dependsOn!: string[];
}

export class PlanStepEstimateDto {
  @ApiProperty() stepId!: string;
  @ApiProperty({ type: String, format: 'uuid', nullable: true }) accountId!: string | null;
  @ApiProperty({ type: String, nullable: true }) model!: string | null;
  @MicroUsdProperty({ nullable: true, description: 'The most this step may cost; null when its model has no price' }) worstCaseMicroUsd!: number | null;
}

export class PlanBudgetCheckDto {
  @ApiProperty({ format: 'uuid' }) budgetId!: string;
  @ApiProperty() name!: string;
  @MicroUsdProperty() capMicroUsd!: number;
  @MicroUsdProperty({ description: 'cap − spent − held, now' }) headroomMicroUsd!: number;
  @MicroUsdProperty({ nullable: true, description: 'Worst case of the steps this budget covers (null: one of them has no price)' }) planWorstCaseMicroUsd!: number | null;
  @ApiProperty({ description: 'The plan may not fit: its worst case exceeds the headroom, or a step it covers has no price — steps may end blocked' }) exceeded!: boolean;
}

export class PlanEstimateDto {
  @MicroUsdProperty({ nullable: true, description: 'Sum of the steps’ worst cases (null when a step has no price)' }) worstCaseMicroUsd!: number | null;
  @ApiProperty({ type: [PlanStepEstimateDto] }) steps!: PlanStepEstimateDto[];
  @ApiProperty({ type: [PlanBudgetCheckDto], description: 'Every budget the plan’s steps fall under' }) budgets!: PlanBudgetCheckDto[];
}

export class PlanDto {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty() title!: string;
  @ApiProperty({ enum: FAILURE_POLICIES }) failurePolicy!: FailurePolicy;
  @ApiProperty({ enum: PLAN_STATUSES, description: 'proposed (may be approved), invalid (never runs), approved, superseded (a newer plan replaced it)' }) status!: PlanStatus;
  @ApiProperty({ type: [String], nullable: true, description: 'Why an invalid plan cannot run, one message per problem' }) errors!: string[] | null;
  @ApiProperty({ type: [PlanStepDto] }) steps!: PlanStepDto[];
  @ApiProperty({ enum: ['copilot', 'user', 'token'] }) createdBy!: string;
  @ApiProperty({ type: String, format: 'uuid', nullable: true }) basedOnPlanId!: string | null;
  @ApiProperty({ type: String, format: 'uuid', nullable: true }) missionRunId!: string | null;
  @ApiProperty({ type: PlanEstimateDto, nullable: true, description: 'For a proposed plan: its worst case and the budgets it may not fit' }) estimate!: PlanEstimateDto | null;
  @ApiProperty({ format: 'date-time' }) createdAt!: string;
}

export class MessageRunDto {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty() status!: string;
  @ApiProperty({ type: String, nullable: true }) statusReason!: string | null;
}

export class MissionMessageDto {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty({ enum: ['user', 'assistant'] }) role!: 'user' | 'assistant';
  @ApiProperty() content!: string;
  @ApiProperty({ type: MessageRunDto, nullable: true, description: 'The copilot run this message started (user) or that wrote it (assistant)' }) copilotRun!: MessageRunDto | null;
  @ApiProperty({ type: String, format: 'uuid', nullable: true, description: 'The plan an assistant message proposed' }) planId!: string | null;
  @ApiProperty({ format: 'date-time' }) createdAt!: string;
}

export class MissionStepDto {
  @ApiProperty() stepId!: string;
  @ApiProperty({ type: [String] }) dependsOn!: string[];
  @ApiProperty({ type: RunDto }) run!: RunDto;
}

export class MissionRunViewDto {
  @ApiProperty({ type: RunDto, description: 'The mission run (kind mission): its status, and when it failed which step and why' }) run!: RunDto;
  @ApiProperty({ type: [MissionStepDto], description: 'The step runs, in plan order' }) steps!: MissionStepDto[];
  @ApiProperty({ type: SpendSplitDto, description: 'What the steps cost, split by label' }) cost!: SpendSplitDto;
}

export class CopilotSettingsDto {
  @ApiProperty({ type: String, format: 'uuid', nullable: true }) accountId!: string | null;
  @ApiProperty({ type: String, nullable: true }) accountName!: string | null;
  @ApiProperty({ type: String, nullable: true }) model!: string | null;
}

export class MissionDto {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty() title!: string;
  @ApiProperty() goal!: string;
  @ApiProperty({ enum: MISSION_STATUSES }) status!: MissionStatus;
  @ApiProperty({ type: String, format: 'uuid', nullable: true }) currentRunId!: string | null;
  @ApiProperty({ format: 'date-time' }) createdAt!: string;
  @ApiProperty({ format: 'date-time' }) updatedAt!: string;
}

export class ListMissionsQueryDto extends PageQueryDto {}

export class MissionPageDto {
  @ApiProperty({ type: [MissionDto] }) items!: MissionDto[];
  @ApiProperty({ type: String, nullable: true }) nextCursor!: string | null;
}

export class MissionDetailDto extends MissionDto {
  @ApiProperty({ type: CopilotSettingsDto, description: 'The account and model the Copilot answers with' }) copilot!: CopilotSettingsDto;
  @ApiProperty({ type: [MissionMessageDto], description: 'The conversation, oldest first' }) messages!: MissionMessageDto[];
  @ApiProperty({ type: [PlanDto], description: 'Plans, oldest first' }) plans!: PlanDto[];
  @ApiProperty({ type: MissionRunViewDto, nullable: true, description: 'The latest mission run and its steps' }) currentRun!: MissionRunViewDto | null;
  @ApiProperty({ type: SpendSplitDto, description: 'Everything the mission cost (copilot runs and steps), split by label' }) cost!: SpendSplitDto;
}

export class SentMessageDto {
  @ApiProperty({ type: MissionMessageDto }) message!: MissionMessageDto;
  @ApiProperty({ type: RunDto, description: 'The copilot run that will answer (kind copilot)' }) run!: RunDto;
}
