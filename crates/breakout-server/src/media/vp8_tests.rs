use bytes::Bytes;

use super::*;

/// A descriptor with a 15-bit PictureID, optional TL0PICIDX, and one
/// payload byte (a keyframe header when `key`).
fn long(picture_id: u16, tl0: Option<u8>, start: bool) -> Bytes {
    let mut out = vec![0x80 | if start { 0x10 } else { 0 }];
    out.push(0x80 | if tl0.is_some() { 0x40 } else { 0 });
    out.push(0x80 | (picture_id >> 8) as u8);
    out.push(picture_id as u8);
    out.extend(tl0);
    out.push(0xAB);
    Bytes::from(out)
}

fn short(picture_id: u8, tl0: Option<u8>) -> Bytes {
    let mut out = vec![0x90, 0x80 | if tl0.is_some() { 0x40 } else { 0 }];
    out.push(picture_id & 0x7f);
    out.extend(tl0);
    out.push(0xAB);
    Bytes::from(out)
}

fn read(payload: &Bytes) -> (Option<PictureId>, Option<u8>) {
    let d = Descriptor::parse(payload).expect("descriptor");
    assert_eq!(payload[d.header_len..], [0xAB], "payload kept");
    (d.picture_id, d.tl0)
}

fn pid(payload: &Bytes) -> u16 {
    match read(payload).0 {
        Some(PictureId::Long(id)) => id,
        other => panic!("15-bit PictureID expected, got {other:?}"),
    }
}

#[test]
fn the_first_source_keeps_its_numbers() {
    let mut r = Vp8Rewriter::default();
    let out = r.rewrite(&long(1234, Some(7), true));
    assert_eq!(out, long(1234, Some(7), true));
}

#[test]
fn a_switch_continues_the_picture_id_and_tl0picidx() {
    let mut r = Vp8Rewriter::default();
    for i in 0..5 {
        r.rewrite(&long(20_000 + i, Some(100 + i as u8), true));
    }
    r.switch();
    // The new source is behind the old one: it must still come out ahead.
    let out = r.rewrite(&long(3, Some(250), true));
    assert_eq!(read(&out), (Some(PictureId::Long(20_005)), Some(105)));
    let out = r.rewrite(&long(4, Some(251), false));
    assert_eq!(read(&out), (Some(PictureId::Long(20_006)), Some(106)));
    // Packets of the same picture keep the same id.
    let out = r.rewrite(&long(4, Some(251), false));
    assert_eq!(pid(&out), 20_006);
}

#[test]
fn picture_ids_wrap_at_15_bits_and_tl0picidx_at_8() {
    let mut r = Vp8Rewriter::default();
    r.rewrite(&long(0x7ffe, Some(0xff), true));
    r.switch();
    let out = r.rewrite(&long(500, Some(9), true));
    assert_eq!(read(&out), (Some(PictureId::Long(0x7fff)), Some(0)));
    let out = r.rewrite(&long(501, Some(10), true));
    assert_eq!(read(&out), (Some(PictureId::Long(0)), Some(1)));
}

#[test]
fn seven_bit_ids_are_widened_and_keep_counting_across_their_wrap() {
    let mut r = Vp8Rewriter::default();
    r.rewrite(&long(9_000, None, true));
    r.switch();
    let mut previous = None;
    for i in 0..300u16 {
        let out = r.rewrite(&short((120 + i) as u8, None));
        let id = pid(&out);
        assert_eq!(out[2] & 0x80, 0x80, "always sent as 15 bits");
        if let Some(previous) = previous {
            assert_eq!(id, (previous + 1) & 0x7fff, "at {i}");
        } else {
            assert_eq!(id, 9_001);
        }
        previous = Some(id);
    }
}

#[test]
fn a_source_moving_from_7_to_15_bits_stays_continuous() {
    // webrtc-rs sends ids below 128 in 7 bits, then 15.
    let mut r = Vp8Rewriter::default();
    r.rewrite(&long(3_000, None, true));
    r.switch();
    let ids: Vec<u16> = (126..130u16)
        .map(|i| {
            let payload = if i < 128 {
                short(i as u8, None)
            } else {
                long(i, None, true)
            };
            pid(&r.rewrite(&payload))
        })
        .collect();
    assert_eq!(ids, vec![3_001, 3_002, 3_003, 3_004]);
}

#[test]
fn without_tl0picidx_nothing_is_invented() {
    let mut r = Vp8Rewriter::default();
    r.rewrite(&long(10, Some(4), true));
    r.switch();
    let out = r.rewrite(&short(77, None));
    assert_eq!(read(&out), (Some(PictureId::Long(11)), None));
}

#[test]
fn keyidx_continues_and_tid_is_kept() {
    let mut r = Vp8Rewriter::default();
    // X with I, T and K; TID 1, Y, KEYIDX 30.
    let packet = |keyidx: u8| Bytes::from(vec![0x90, 0xb0, 0x80, 0x05, 0x40 | 0x20 | keyidx, 0xAB]);
    r.rewrite(&packet(30));
    r.switch();
    let out = r.rewrite(&packet(3));
    assert_eq!(out[4], 0x40 | 0x20 | 31);
    let out = r.rewrite(&packet(4));
    assert_eq!(out[4], 0x40 | 0x20);
}

#[test]
fn descriptors_without_counters_or_cut_short_pass_unchanged() {
    let mut r = Vp8Rewriter::default();
    for payload in [
        Bytes::from_static(&[0x10, 0xAB]),
        Bytes::from_static(&[0x90]),
        Bytes::from_static(&[0x90, 0x80, 0x85]),
        Bytes::from_static(&[]),
    ] {
        assert_eq!(r.rewrite(&payload), payload);
    }
}
