"""Link models: what a radio link between two positions is like.

LogDistance (the default) turns distance into signal, rate, frame error
rate and expected throughput; every constant is a parameter:

* path loss ``PL(d) = PL0 + 10 n log10(d / 1 m)``, ``PL0 = 20 log10(4 pi f / c)``
  (40.1 dB at 2.412 GHz), exponent n = 3 (Mininet-WiFi's default);
* ``rssi = tx_power + gains - PL(d)``; in range when rssi >= cca (-90 dBm,
  wmediumd's CCA threshold); snr = rssi - noise (-91 dBm);
* rate: the fastest 802.11a/g OFDM rate whose receiver sensitivity is at
  most rssi (-82 ... -65 dBm for 6 ... 54 Mbit/s, a vendor datasheet's
  values; the standard's criterion is 10 % PER for 1000-byte frames);
* ``PER1000(rate) = 1 / (1 + 9 exp(k (rssi - S_rate)))``: 10 % at the
  sensitivity point, slope k = 1 per dB (an assumption, not a measurement);
  a frame of L bytes fails with ``1 - (1 - PER1000)^(L / 1000)``;
* broadcast frames go at the basic rate (6 Mbit/s);
* ``expected_throughput = rate (1 - PER1500) efficiency``, efficiency 0.6
  (an assumption: MAC overhead).

With the defaults the 6 Mbit/s edge is ~116 m and the CCA edge ~214 m.
RangeModel is CORE's basic_range: in range or not, fixed parameters.
"""

import math
from dataclasses import dataclass

SPEED_OF_LIGHT = 299792458.0
# (rate in Mbit/s, receiver sensitivity in dBm), fastest first.
OFDM_RATES = ((54, -65), (48, -66), (36, -70), (24, -74), (18, -77), (12, -79), (9, -81),
              (6, -82))
BASIC_RATE = 6


@dataclass(frozen=True)
class LinkQuality:
    distance_m: float
    in_range: bool
    rssi_dbm: float = None
    snr_db: float = None
    rate_mbit: float = None
    per1000: float = None            # frame error rate of 1000-byte frames at `rate`
    bcast_per1000: float = None      # the same at the basic rate
    expected_throughput_mbit: float = None
    delay_ms: float = 0.0


def distance(a, b):
    return math.hypot(a[0] - b[0], a[1] - b[1])


@dataclass(frozen=True)
class LogDistance:
    exponent: float = 3.0
    frequency_hz: float = 2.412e9
    tx_power_dbm: float = 20.0
    antenna_gain_db: float = 0.0     # tx + rx
    noise_dbm: float = -91.0
    cca_dbm: float = -90.0
    per_slope: float = 1.0           # k, per dB
    efficiency: float = 0.6
    base_delay_ms: float = 1.0

    @property
    def reference_loss_db(self):
        return 20 * math.log10(4 * math.pi * self.frequency_hz / SPEED_OF_LIGHT)

    def rssi(self, distance_m):
        d = max(distance_m, 1.0)
        path_loss = self.reference_loss_db + 10 * self.exponent * math.log10(d)
        return self.tx_power_dbm + self.antenna_gain_db - path_loss

    def per1000(self, rssi, sensitivity):
        exponent = min(self.per_slope * (rssi - sensitivity), 700.0)
        return 1.0 / (1.0 + 9.0 * math.exp(exponent))

    def range_for(self, rssi_target):
        """Distance (m) at which rssi falls to `rssi_target`."""
        budget = self.tx_power_dbm + self.antenna_gain_db - self.reference_loss_db
        return 10 ** ((budget - rssi_target) / (10 * self.exponent))

    def link(self, distance_m):
        rssi = self.rssi(distance_m)
        if rssi < self.cca_dbm:
            return LinkQuality(distance_m, False, rssi_dbm=round(rssi, 1))
        rate, sensitivity = next(((r, s) for r, s in OFDM_RATES if rssi >= s), OFDM_RATES[-1])
        per = self.per1000(rssi, sensitivity)
        bcast = self.per1000(rssi, dict(OFDM_RATES)[BASIC_RATE])
        per1500 = 1 - (1 - per) ** 1.5
        return LinkQuality(distance_m, True, rssi_dbm=round(rssi, 1),
                           snr_db=round(rssi - self.noise_dbm, 1), rate_mbit=float(rate),
                           per1000=per, bcast_per1000=bcast,
                           expected_throughput_mbit=round(rate * (1 - per1500) *
                                                          self.efficiency, 1),
                           delay_ms=self.base_delay_ms)


@dataclass(frozen=True)
class RangeModel:
    """CORE's basic_range: within range_m a link with fixed parameters."""

    range_m: float = 100.0
    rate_mbit: float = 54.0
    loss: float = 0.0
    delay_ms: float = 1.0

    def link(self, distance_m):
        if distance_m > self.range_m:
            return LinkQuality(distance_m, False)
        return LinkQuality(distance_m, True, rssi_dbm=-60.0, snr_db=31.0,
                           rate_mbit=self.rate_mbit, per1000=self.loss,
                           bcast_per1000=self.loss,
                           expected_throughput_mbit=round(self.rate_mbit * (1 - self.loss) *
                                                          0.6, 1),
                           delay_ms=self.delay_ms)


def delivery_ratio(loss, retry_limit, hops, round_trip=True):
    """Expected end-to-end delivery of unicast frames that each hop loses
    with probability `loss` per attempt and retries `retry_limit` times."""
    per_hop = 1 - loss ** retry_limit
    return per_hop ** (hops * (2 if round_trip else 1))
