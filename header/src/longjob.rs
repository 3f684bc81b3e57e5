//! Long jobs: APIs that run for a long time (an image download), submitted, watched, canceled
//! and resumed as resources of their own. Families declare which of their APIs can run as one
//! with `zstack_kernel::longjob`.

use zstack_kernel::api::ResourceRef;

pub const LONG_JOB: ResourceRef = ResourceRef {
    table: "long_job",
    vo_name: "LongJobVO",
};
