//! Mixing the audio slots into what the speaker plays.

use super::audio::SAMPLES_PER_FRAME;

/// Sums 20 ms frames of several slots. A sum beyond full scale is bent back
/// smoothly (tanh above 0.5) rather than clipped: two loud talkers at once
/// should sound loud, not broken.
pub fn mix<'a>(frames: impl IntoIterator<Item = &'a [f32]>) -> Vec<f32> {
    let mut out = vec![0.0f32; SAMPLES_PER_FRAME];
    for frame in frames {
        for (o, s) in out.iter_mut().zip(frame) {
            *o += s;
        }
    }
    for s in &mut out {
        *s = soft_limit(*s);
    }
    out
}

fn soft_limit(x: f32) -> f32 {
    const KNEE: f32 = 0.5;
    if x.abs() <= KNEE {
        x
    } else {
        x.signum() * (KNEE + (1.0 - KNEE) * ((x.abs() - KNEE) / (1.0 - KNEE)).tanh())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quiet_sums_are_exact_and_loud_ones_stay_in_range() {
        let a = vec![0.1; SAMPLES_PER_FRAME];
        let b = vec![0.2; SAMPLES_PER_FRAME];
        let out = mix([&a[..], &b[..]]);
        assert!((out[0] - 0.3).abs() < 1e-6);
        let loud = vec![0.9; SAMPLES_PER_FRAME];
        let out = mix([&loud[..], &loud[..], &loud[..]]);
        assert!(out.iter().all(|s| *s < 1.0 && *s > 0.9));
        assert_eq!(mix(std::iter::empty()), vec![0.0; SAMPLES_PER_FRAME]);
    }
}
