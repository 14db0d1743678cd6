//! Which machine code advances the peer groups: the portable build of `step::advance`, or
//! the same source compiled for AVX2, chosen at run time when the processor has it.
//!
//! Both are compiled from one source with the same floating-point operations in the same
//! order; AVX2 adds wider registers and instructions, never fused multiply-add (a separate
//! target feature, not enabled) or reassociation, so the two give the same bytes
//! (`tests/kernel.rs` compares them). The choice changes speed only.

// Calling the AVX2 build needs `unsafe` (a target-feature function); the block says why it is
// sound.
#![allow(unsafe_code)]

use crate::model::population::PeerGroup;
use crate::model::step::{advance, Scratch, StepContext};

/// A compiled version of the step.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kernel {
    /// The baseline x86-64 (or other target) instruction set.
    Portable,
    /// The same code compiled with AVX2 enabled (x86-64 processors that have it).
    Avx2,
}

impl Kernel {
    /// The fastest kernel this processor runs.
    pub fn detect() -> Self {
        if Kernel::Avx2.is_available() {
            Kernel::Avx2
        } else {
            Kernel::Portable
        }
    }

    /// Whether this processor can run the kernel.
    pub fn is_available(self) -> bool {
        match self {
            Kernel::Portable => true,
            #[cfg(target_arch = "x86_64")]
            Kernel::Avx2 => std::arch::is_x86_feature_detected!("avx2"),
            #[cfg(not(target_arch = "x86_64"))]
            Kernel::Avx2 => false,
        }
    }

    /// Advance one peer group by one step with this kernel (the portable one when this
    /// processor lacks the chosen one's instructions).
    #[inline]
    pub fn advance(self, group: &mut PeerGroup, ctx: &StepContext, scratch: &mut Scratch) {
        #[cfg(target_arch = "x86_64")]
        if self == Kernel::Avx2 && self.is_available() {
            // SAFETY: the processor has AVX2 (checked just above).
            unsafe { advance_avx2(group, ctx, scratch) };
            return;
        }
        advance(group, ctx, scratch)
    }
}

/// `step::advance` compiled with AVX2 (its phases are inlined into this function).
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
fn advance_avx2(group: &mut PeerGroup, ctx: &StepContext, scratch: &mut Scratch) {
    advance(group, ctx, scratch)
}
