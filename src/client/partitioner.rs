//! Kafka's default partitioner for keyed records: `toPositive(murmur2(key)) % numPartitions`
//! (`org.apache.kafka.common.utils.Utils.murmur2`, `BuiltInPartitioner.partitionForKey`).

/// Kafka's murmur2 (seed 0x9747b28c), bit for bit, on the key's bytes.
pub fn murmur2(data: &[u8]) -> i32 {
    let length = data.len() as i32;
    let seed: i32 = 0x9747b28c_u32 as i32;
    let m: i32 = 0x5bd1e995;
    let r = 24;
    let mut h: i32 = seed ^ length;
    let length4 = data.len() / 4;
    for i in 0..length4 {
        let i4 = i * 4;
        let mut k: i32 = (data[i4] as i32 & 0xff)
            + ((data[i4 + 1] as i32 & 0xff) << 8)
            + ((data[i4 + 2] as i32 & 0xff) << 16)
            + ((data[i4 + 3] as i32 & 0xff) << 24);
        k = k.wrapping_mul(m);
        k ^= ((k as u32) >> r) as i32;
        k = k.wrapping_mul(m);
        h = h.wrapping_mul(m);
        h ^= k;
    }
    let tail = data.len() & !3;
    let rem = data.len() % 4;
    if rem >= 3 {
        h ^= (data[tail + 2] as i32 & 0xff) << 16;
    }
    if rem >= 2 {
        h ^= (data[tail + 1] as i32 & 0xff) << 8;
    }
    if rem >= 1 {
        h ^= data[tail] as i32 & 0xff;
        h = h.wrapping_mul(m);
    }
    h ^= ((h as u32) >> 13) as i32;
    h = h.wrapping_mul(m);
    h ^= ((h as u32) >> 15) as i32;
    h
}

/// `Utils.toPositive`.
pub fn to_positive(n: i32) -> i32 {
    n & 0x7fff_ffff
}

pub fn partition_for_key(key: &[u8], num_partitions: u32) -> u32 {
    (to_positive(murmur2(key)) as u32) % num_partitions.max(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn murmur2_matches_kafkas_utils_test_vectors() {
        // UtilsTest.testMurmur2 in Kafka's clients module.
        let cases: &[(&[u8], i32)] = &[
            (b"21", -973932308),
            (b"foobar", -790332482),
            (b"a-little-bit-long-string", -985981536),
            (b"a-little-bit-longer-string", -1486304829),
            (b"lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8", -58897971),
            (b"abc", 479470107),
        ];
        for (data, want) in cases {
            assert_eq!(murmur2(data), *want, "murmur2({:?})", std::str::from_utf8(data).unwrap());
        }
    }

    #[test]
    fn keys_map_to_positive_partitions() {
        for k in ["a", "b", "order-17", ""] {
            assert!(partition_for_key(k.as_bytes(), 6) < 6);
        }
        assert_eq!(to_positive(-1), 0x7fff_ffff);
    }
}
